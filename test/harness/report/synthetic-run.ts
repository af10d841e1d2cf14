// A results folder made of synthetic data, for report tests that need no kernel: metrics.jsonl
// at 10 Hz written by the project's own MetricsWriter-compatible line format, summary.json and
// scenario.yaml. The shapes are chosen so every plot has something to draw: RSS climbs then
// levels, one RSS spike, the queue saws between HWM and LWM, the backlog fills during a fault
// window, the kernel loses records, callers wait, and there is an OOM kill and a daemon restart.
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import type { MetricsSample } from '../../../harness/metrics/metrics-types.ts';
import type { RunSummary } from '../../../harness/run/run-scenario.ts';

export interface SyntheticOptions {
  samples: number;
  /** sample index of the single RSS spike (survives downsampling as a max) */
  spikeAt?: number;
  spikeBytes?: number;
  verdict?: 'pass' | 'fail';
  daemon?: string;
  policy?: string | null;
  withSummary?: boolean;
  withDaemonStats?: boolean;
  scenarioName?: string;
  /** summary.json's metrics.events: 'lost' (per-source losses, the current shape) or 'accountedLoss' (older runs) */
  eventsShape?: 'lost' | 'accountedLoss';
  /** events missing with nothing to say so (taken from the kernel-identified part); default 0 */
  silentLoss?: number;
  /** sample memory.stat's anon/file split and the daemon socket's unread bytes (default true) */
  withMemoryDetail?: boolean;
}

export const MIB = 1048576;

export async function makeSyntheticRun(dir: string, o: SyntheticOptions): Promise<{ dir: string; spikeT: number }> {
  mkdirSync(dir, { recursive: true });
  const n = o.samples;
  const spikeAt = o.spikeAt ?? Math.floor(n * 0.37);
  const spikeBytes = o.spikeBytes ?? 200 * MIB;
  const stats = o.withDaemonStats ?? true;
  const detail = o.withMemoryDetail ?? true;
  const out = createWriteStream(join(dir, 'metrics.jsonl'));
  const write = async (line: unknown) => {
    if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
  };
  const t0 = 1_790_000_000_000;
  const faultStart = Math.floor(n * 0.5), faultEnd = Math.floor(n * 0.6);
  await write({ t: 0, ts: t0, event: 'run-start', seed: 42 });
  await write({ t: 1, ts: t0 + 1, event: 'daemon-pid', pid: 100, previous: null });
  let written = 0, writtenAtRestart = 0, lost = 5000, wait = 1000;
  for (let i = 0; i < n; i++) {
    const t = i * 100;
    if (i === faultStart) await write({ t, ts: t0 + t, event: 'fault-start', kind: 'disk-stall', index: 0, occurrence: 0 });
    if (i === faultEnd) await write({ t, ts: t0 + t, event: 'fault-end', kind: 'disk-stall', index: 0, occurrence: 0 });
    if (i === Math.floor(n * 0.8)) await write({ t, ts: t0 + t, event: 'oom-kill', pid: 4242, name: 'bystander', ours: true });
    if (i === Math.floor(n * 0.85)) await write({ t, ts: t0 + t, event: 'daemon-pid', pid: 101, previous: 100 });
    const inFault = i >= faultStart && i < faultEnd;
    const rss = (i === spikeAt ? spikeBytes : Math.min(40 * MIB, 8 * MIB + i * 4096)) + (i % 7) * 1024;
    const qRecords = stats ? (inFault ? 8192 : 4096 + Math.round(4000 * Math.sin(i / 10))) : 0;
    const backlog = inFault ? Math.min(8192, (i - faultStart) * 200) : (i % 13) * 3;
    if (inFault) { lost += 3; wait += 40; }
    written += inFault ? 0 : 20_000 * 0.1 * 4;
    // the restarted daemon's counter starts again from 0
    if (i === Math.floor(n * 0.85)) writtenAtRestart = written - 20_000 * 0.1 * 4;
    const reported = i >= Math.floor(n * 0.85) ? written - writtenAtRestart : written;
    const sample: MetricsSample = {
      t, ts: t0 + t, pid: i < n * 0.85 ? 100 : 101, rss, hwm: Math.max(rss, 40 * MIB), rssAll: rss, cpu: 30 + (i % 10), cpuSec: i / 30,
      cgroup: { usage: rss + 20 * MIB, peak: rss + 20 * MIB, limit: 256 * MIB, oomKills: i >= n * 0.8 ? 1 : 0, throttledUs: null,
        ...(detail ? { anon: rss + 4 * MIB, file: 16 * MIB } : {}) },
      kernel: { backlog, lost, waitActualMs: wait, backlogLimit: 8192, ageMs: 0 },
      memAvailable: 20_000 * MIB,
      daemon: stats ? {
        ts: t0 + t, pid: 100, policy: 'block', received: reported, written: reported, dropped: {}, bytesWritten: reported * 100, suspended: false, plugins: [], rssBytes: rss, ageMs: 10,
        queue: { records: qRecords, bytes: qRecords * 300, hwm: 8192, hwmBytes: 16 * MIB, lwm: 4096, paused: inFault, maxRecords: null, maxBytes: null },
      } : null,
      load: { eventsPerSec: inFault ? 2_000 : 20_000 + (i % 5) * 100, total: i * 2000 },
      ...(detail ? { socket: { rmem: inFault ? Math.min(8 * MIB, (i - faultStart) * 200_000) : 0, drops: 0 } } : {}),
    };
    await write(sample);
  }
  await write({ t: n * 100, ts: t0 + n * 100, event: 'load-end', generated: n * 2000 });
  out.end();
  await once(out, 'finish');

  const scenarioName = o.scenarioName ?? 'synthetic';
  writeFileSync(join(dir, 'scenario.yaml'), `# As run by auditstorm (synthetic test fixture)\nname: ${scenarioName}\ndescription: synthetic\nduration: ${Math.round(n / 10)}s\nseed: 42\n` +
    `rules: openat-storm.rules\ndaemon:\n  name: ${o.daemon ?? 'tsauditd'}\n  policy: ${o.policy ?? 'block'}\nloads:\n  - generator: open-close\nexpect:\n  peak_rss_max: hwm\n  tolerance:\n    peak_rss: 20%\n`);
  if (o.withSummary ?? true) {
    const verdict = o.verdict ?? 'pass';
    const summary: RunSummary = {
      scenario: scenarioName, daemon: o.daemon ?? 'tsauditd', policy: o.policy === undefined ? 'block' : o.policy, verdict,
      assertions: [
        { name: 'peak RSS under its bound', ok: verdict === 'pass', actual: verdict === 'pass' ? 40 * MIB : 300 * MIB, limit: 64 * MIB, detail: 'peak vs bound <&> "quoted"' },
        { name: 'no silent loss', ok: (o.silentLoss ?? 0) === 0, actual: o.silentLoss ?? 0, limit: 0 },
        { name: 'backlog wait of audited callers (ms)', ok: true, actual: 120, limit: 1000 },
      ],
      metrics: {
        peakRssBytes: verdict === 'pass' ? 40 * MIB : 300 * MIB, idleRssBytes: 8 * MIB, rssSlopeBytesPerSec: 10, oomKills: 1, throughputEventsPerSec: 18_000,
        kernel: { lost: 30, backlogMax: 8192, backlogWaitMs: 400, backlogWaitTimeMs: 1000, longestAuditedOpMs: 640, printedRecords: n * 500, holdsPrinted: false, printedEvents: null, printedEventsLogged: null, incompleteByKernel: null },
        events: syntheticEvents(n, o),
        cgroupPeakBytes: 60 * MIB, peakRssPlusSocketBytes: null, socket: { peakUnreadBytes: null, drops: 0 },
        daemonCounters: { pluginDroppedRecords: 0, malformedDatagrams: 0, droppedRecords: null }, daemonCpuSeconds: 3,
        // summaries of the older shape had the daemon's counters summed here
        ...(o.eventsShape === 'accountedLoss' ? { daemonDropped: n * 80 } : {}),
      },
      seed: 42, auid: 4_200_000_001, durationMs: n * 100, ended: 'completed', daemonStop: { exitCode: 0, signal: null, stopMs: 20 } as RunSummary['daemonStop'],
      loads: {}, oomVictims: [], host: { kernel: '6.18.0-test', hz: 250, cgroup: 'v1', daemonVersion: 'test-1.0', memoryLimitBytes: 256 * MIB, memTotalBytes: 24 * 1024 * MIB },
      faults: [{ kind: 'disk-stall', index: 0, occurrence: 0, startMs: faultStart * 100, endMs: faultEnd * 100, detail: {} }], recovery: [],
      soak: null, warnings: [], dir,
    };
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
  }
  return { dir, spikeT: (spikeAt * 100) / 1000 };
}

/** The event accounting of the synthetic run: generated n x 2000, logged n x 1800; the missing
 *  n x 200 are 30 counted by the kernel's lost counter, n x 80 by the daemon (n x 60 dropped,
 *  n x 20 not written), the rest identified in the kernel's log, less `silentLoss`. */
export function syntheticEvents(n: number, o: Pick<SyntheticOptions, 'eventsShape' | 'silentLoss'> = {}): RunSummary['metrics']['events'] {
  const silent = o.silentLoss ?? 0;
  const kernelDropped = n * 120 - 30 - silent;
  if (o.eventsShape === 'accountedLoss') {
    return { generated: n * 2000, logged: n * 1800, incomplete: 0, accountedLoss: n * 200 - silent, silentLoss: silent, duplicates: 0, unexpected: 0,
      kernelPrintkDropped: kernelDropped } as unknown as RunSummary['metrics']['events'];
  }
  return {
    generated: n * 2000, logged: n * 1800, incomplete: 0,
    lost: { kernelCounted: 30, kernelDropped, kernelDroppedUnattributed: 0, daemonDropped: n * 60, daemonNotWritten: n * 20 },
    silentLoss: silent, duplicates: 0, unexpected: 0,
    method: { logged: 'distinct serials with the run auid in the log (synthetic)' },
  } as unknown as RunSummary['metrics']['events'];
}
