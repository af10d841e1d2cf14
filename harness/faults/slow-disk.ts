// slow-disk: the daemon's log writes go at `rate` and/or take `latency` more each. Methods:
// - fuse (auto, where /dev/fuse and slowfs are there): the log sits on slowfs (slow-layer.ts),
//   which paces every write() to `rate` and adds `latency`: buffered writes included, so any
//   flush mode is slowed, on cgroup v1 and v2. The runner mounts the layer from the start (a
//   passthrough) and the fault turns the delays on and off.
// - blkio-throttle (v1) / io-max (v2): a write-bandwidth throttle on the loop device for the
//   daemon's cgroup. It catches O_DSYNC/O_SYNC writes and fsync; buffered writes escape until
//   writeback, which v1 does not charge to the daemon's cgroup. No `latency`.
// Either way the window measures what the log got (slowfs's own counters, or the log's growth
// and the loop device's block stats), and the effect fails when the log outran the rate or a
// write came back faster than the latency. Device-mapper delay is refused (no dm on these hosts).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { UndoStep } from '../host/undo-steps.ts';
import { FaultError, type FaultDetail, type FaultEffect, type FaultKindImpl, type FaultSpec } from './fault-types.ts';
import type { LogVolume } from './log-volume.ts';
import { slowfsUnavailable, type SlowfsStats } from './slow-layer.ts';

type SlowDiskSpec = Extract<FaultSpec, { kind: 'slow-disk' }>;
export type SlowDiskMethod = 'fuse' | 'blkio-throttle' | 'io-max';

/** The undo of a write throttle on `device` (major:minor) in the cgroup dir `ioDir`. */
function removeIoThrottle(version: 1 | 2, ioDir: string, device: string): UndoStep {
  return version === 1
    ? { op: 'write', path: join(ioDir, 'blkio.throttle.write_bps_device'), value: `${device} 0`, ifExists: true }
    : { op: 'write', path: join(ioDir, 'io.max'), value: `${device} wbps=max`, ifExists: true };
}

export const THROTTLE_APPLIES_TO = 'O_DSYNC/O_SYNC writes and fsync() by the daemon; buffered writes escape until writeback';
export const FUSE_APPLIES_TO = 'every write() to the log (buffered, O_DSYNC, any flush mode), paced by slowfs';

/** The log may outrun `rate` by this much and the fault still counts as in effect. */
export const RATE_TOLERANCE = 1.25;

/** The method `auto` resolves to on this host (fuse where it can run). */
export function autoMethod(cgroupVersion: 1 | 2): SlowDiskMethod {
  return slowfsUnavailable() === null ? 'fuse' : cgroupVersion === 1 ? 'blkio-throttle' : 'io-max';
}

/** Whether the run's log volume needs slowfs under the log (a slow-disk that will use fuse). */
export function needsSlowLayer(faults: readonly FaultSpec[], cgroupVersion: 1 | 2): boolean {
  return faults.some((f) => f.kind === 'slow-disk' && (f.method === 'fuse' || (f.method === 'auto' && autoMethod(cgroupVersion) === 'fuse')));
}

const mib = (b: number) => `${(b / 1048576).toFixed(2)} MiB/s`;
const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;

/** Bytes in the files of the log dir (rotated files included). */
function logBytes(dir: string): number {
  let n = 0;
  try {
    for (const f of readdirSync(dir)) {
      try { const st = statSync(join(dir, f)); if (st.isFile()) n += st.size; } catch { /* rotated away */ }
    }
  } catch { /* gone */ }
  return n;
}

/** /sys/block/<dev>/stat: write I/Os, sectors, ms spent writing. */
function blockWrites(loopDevice: string): { ios: number; sectors: number; ticksMs: number } | null {
  try {
    const f = readFileSync(`/sys/block/${basename(loopDevice)}/stat`, 'utf8').trim().split(/\s+/).map(Number);
    return { ios: f[4]!, sectors: f[6]!, ticksMs: f[7]! };
  } catch {
    return null;
  }
}

function resolveMethod(spec: SlowDiskSpec, vol: LogVolume, cgroupVersion: 1 | 2): SlowDiskMethod {
  const cgMethod: SlowDiskMethod = cgroupVersion === 1 ? 'blkio-throttle' : 'io-max';
  if (spec.method === 'dm-delay') throw new FaultError(spec.kind, spec.index, 'dm-delay is not available here (no device-mapper)', 'use method: auto');
  if (spec.method === 'auto') return vol.slowLayer ? 'fuse' : cgMethod;
  if (spec.method === 'fuse') {
    if (!vol.slowLayer) throw new FaultError(spec.kind, spec.index, `the log volume has no slow layer${slowfsUnavailable() ? ` (${slowfsUnavailable()})` : ''}`, 'the runner mounts one when a slow-disk uses fuse');
    return 'fuse';
  }
  if (spec.method !== cgMethod) throw new FaultError(spec.kind, spec.index, `method ${spec.method} does not exist on cgroup v${cgroupVersion}`, `use auto or ${cgMethod}`);
  return cgMethod;
}

/** The fuse method's verdict from slowfs's counters over the window. */
export function fuseEffect(spec: { rate?: number | undefined; latency?: number | undefined }, d: FaultDetail): FaultEffect {
  const writes = Number(d.writes ?? 0);
  const bytes = Number(d.bytesWritten ?? 0);
  const rate = Number(d.achievedBytesPerSec ?? 0);
  const minUs = Number(d.minWriteUs ?? -1);
  const want = [spec.rate ? `<= ${RATE_TOLERANCE} x ${mib(spec.rate)}` : null, spec.latency ? `every write >= ${spec.latency} ms` : null].filter(Boolean).join(', ');
  if (writes === 0) {
    return { ok: false, measured: 'no write reached the log during the window', expected: want,
      fix: 'nothing was slowed: lengthen the window (`for`) or raise the load so the daemon writes during it' };
  }
  const measured = `log writes ${mib(rate)} (${writes} writes, ${Math.round(bytes / writes)} B each), per write min ${ms(minUs)} mean ${ms(Number(d.meanWriteUs))} max ${ms(Number(d.maxWriteUs))}`;
  const problems: string[] = [];
  if (spec.rate && rate > spec.rate * RATE_TOLERANCE) problems.push(`the log got ${mib(rate)}, over the rate: check that the daemon's log is on ${String(d.logDir)}`);
  if (spec.latency && minUs < spec.latency * 1000 - 1000) problems.push(`a write took ${ms(minUs)}, under the latency`);
  return { ok: problems.length === 0, measured, expected: want, ...(problems.length ? { fix: problems.join('; ') } : {}) };
}

/** The cgroup methods' verdict from the log's growth and the loop device's block stats. */
export function throttleEffect(spec: { rate?: number | undefined }, d: FaultDetail): FaultEffect {
  const logRate = Number(d.logBytesPerSec ?? 0);
  const devRate = Number(d.deviceBytesPerSec ?? 0);
  const want = `log <= ${RATE_TOLERANCE} x ${mib(spec.rate ?? 0)}`;
  const measured = `log grew ${mib(logRate)}; the device wrote ${mib(devRate)} in ${Number(d.deviceWriteIos ?? 0)} I/Os, ${ms(Number(d.deviceMsPerWrite ?? 0) * 1000)} each`;
  if (Number(d.logBytesGrown ?? 0) === 0 && Number(d.deviceWriteIos ?? 0) === 0) {
    return { ok: false, measured: 'no write reached the log during the window', expected: want,
      fix: 'nothing was slowed: lengthen the window (`for`) or raise the load so the daemon writes during it' };
  }
  if (spec.rate && logRate > spec.rate * RATE_TOLERANCE) {
    return { ok: false, measured, expected: want,
      fix: `buffered writes escaped the ${String(d.method)} throttle (it holds only O_DSYNC writes and fsync): use method: auto or fuse, or flush: data/sync` };
  }
  return { ok: true, measured, expected: want };
}

export const slowDisk: FaultKindImpl = {
  endPriority: 2,
  async apply(spec, ctx) {
    if (spec.kind !== 'slow-disk') throw new Error('wrong kind');
    const vol = ctx.volume;
    if (!vol) throw new FaultError(spec.kind, spec.index, 'no log volume', 'the runner creates one when a scenario has a disk fault');
    const method = resolveMethod(spec, vol, ctx.cgroup.version);
    const t0 = Date.now();
    const window = () => Math.max(0.001, (Date.now() - t0) / 1000);
    if (method === 'fuse') {
      const layer = vol.slowLayer!;
      await layer.set(spec.rate ?? null, spec.latency ? spec.latency * 1000 : null);
      const s0: SlowfsStats = await layer.stats(); // also starts the window's min/max
      return {
        detail: { method, logDir: vol.logDir, rateBytesPerSec: spec.rate ?? null, latencyMs: spec.latency ?? null, throttles: FUSE_APPLIES_TO },
        async end() {
          const s1 = await layer.stats();
          const secs = window();
          await layer.set(null, null);
          const writes = s1.writes - s0.writes;
          const bytes = s1.bytes - s0.bytes;
          return {
            windowSeconds: Number(secs.toFixed(3)), writes, bytesWritten: bytes, achievedBytesPerSec: Math.round(bytes / secs),
            minWriteUs: s1.minUs, maxWriteUs: s1.maxUs, meanWriteUs: writes ? Math.round((s1.sumUs - s0.sumUs) / writes) : null,
            delayedFraction: Number(Math.min(1, (s1.waitUs - s0.waitUs) / 1e6 / secs).toFixed(3)),
          };
        },
        effect: (d) => fuseEffect(spec, d),
      };
    }
    if (spec.latency) throw new FaultError(spec.kind, spec.index, `latency needs the fuse method; ${method} only limits the rate`, 'use method: auto or fuse, or drop latency');
    if (!spec.rate) throw new FaultError(spec.kind, spec.index, `${method} needs a rate`, 'give rate: SIZE/s');
    const ioDir = ctx.cgroup.dirs.io;
    if (!ioDir) throw new FaultError(spec.kind, spec.index, 'this host has no io controller for the run cgroup', 'mount blkio (v1) or enable +io (v2), or use method: fuse');
    const trackId = ctx.session.track('slow-disk', `io throttle ${vol.device} in ${ioDir}`, [removeIoThrottle(ctx.cgroup.version, ioDir, vol.device)]);
    ctx.cgroup.setIoLimit(vol.device, { writeBps: spec.rate });
    const log0 = logBytes(vol.logDir);
    const dev0 = blockWrites(vol.loopDevice);
    return {
      detail: { method, device: vol.device, loopDevice: vol.loopDevice, rateBytesPerSec: spec.rate, throttles: THROTTLE_APPLIES_TO },
      async end() {
        const secs = window();
        const grown = Math.max(0, logBytes(vol.logDir) - log0);
        const dev1 = blockWrites(vol.loopDevice);
        await ctx.session.undo(trackId);
        const ios = dev0 && dev1 ? dev1.ios - dev0.ios : 0;
        const devBytes = dev0 && dev1 ? (dev1.sectors - dev0.sectors) * 512 : 0;
        return {
          windowSeconds: Number(secs.toFixed(3)), logBytesGrown: grown, logBytesPerSec: Math.round(grown / secs),
          deviceWriteIos: ios, deviceBytesPerSec: Math.round(devBytes / secs),
          deviceMsPerWrite: ios && dev0 && dev1 ? Number(((dev1.ticksMs - dev0.ticksMs) / ios).toFixed(2)) : null,
        };
      },
      effect: (d) => throttleEffect(spec, d),
    };
  },
};
