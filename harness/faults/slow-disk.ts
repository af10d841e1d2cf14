// slow-disk: the log's device accepts writes at `rate`: a write-bandwidth throttle on the run's
// loop device (major:minor) for the daemon's cgroup: blkio.throttle.write_bps_device on cgroup
// v1, io.max wbps on v2. What it throttles: bios the daemon's own tasks submit, i.e. O_DSYNC /
// O_SYNC writes and fsync() (flush = data, sync, incremental[_async]); buffered writes escape it
// until writeback, and writeback is not charged to the daemon's cgroup on v1. Device-mapper
// delay is not offered (no dm on these hosts). Undo: remove the throttle.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineUndo } from '../host/undo-registry.ts';
import { FaultError, type FaultKindImpl } from './fault-types.ts';

export interface SlowDiskUndo { version: 1 | 2; ioDir: string; device: string }

export function removeIoThrottle(d: SlowDiskUndo): void {
  if (d.version === 1) {
    const f = join(d.ioDir, 'blkio.throttle.write_bps_device');
    if (existsSync(f)) writeFileSync(f, `${d.device} 0`);
  } else {
    const f = join(d.ioDir, 'io.max');
    if (existsSync(f)) writeFileSync(f, `${d.device} wbps=max`);
  }
}

defineUndo('slow-disk', (d: SlowDiskUndo) => removeIoThrottle(d));

export const THROTTLE_APPLIES_TO = 'O_DSYNC/O_SYNC writes and fsync() by the daemon; buffered writes escape until writeback';

export const slowDisk: FaultKindImpl = {
  endPriority: 2,
  async apply(spec, ctx) {
    if (spec.kind !== 'slow-disk') throw new Error('wrong kind');
    const vol = ctx.volume;
    if (!vol) throw new FaultError(spec.kind, spec.index, 'no log volume', 'the runner creates one when a scenario has a disk fault');
    const ioDir = ctx.cgroup.dirs.io;
    if (!ioDir) throw new FaultError(spec.kind, spec.index, 'this host has no io controller for the run cgroup', 'mount blkio (v1) or enable +io (v2)');
    const method = ctx.cgroup.version === 1 ? 'blkio-throttle' : 'io-max';
    if (spec.method === 'dm-delay') throw new FaultError(spec.kind, spec.index, 'dm-delay is not available here (no device-mapper)', 'use method: auto');
    if (spec.method !== 'auto' && spec.method !== method) {
      throw new FaultError(spec.kind, spec.index, `method ${spec.method} does not exist on cgroup v${ctx.cgroup.version}`, `use auto or ${method}`);
    }
    const undo: SlowDiskUndo = { version: ctx.cgroup.version, ioDir, device: vol.device };
    const trackId = ctx.session.track('slow-disk', `io throttle ${vol.device} in ${ioDir}`, undo);
    ctx.cgroup.setIoLimit(vol.device, { writeBps: spec.rate });
    return {
      detail: { method, device: vol.device, loopDevice: vol.loopDevice, rateBytesPerSec: spec.rate, throttles: THROTTLE_APPLIES_TO },
      async end() {
        removeIoThrottle(undo);
        ctx.session.untrack(trackId);
      },
    };
  },
};
