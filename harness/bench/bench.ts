// `npm run bench`: tsauditd and Debian's auditd on the same load, in the same run, alternating
// order each round so drift (page cache, thermal, other tenants) falls on both. Prints
// events/s, CPU seconds per 100k events and peak RSS, and the ratios tsauditd/auditd.
import { loadScenario } from '../scenario/load-scenario.ts';
import { runScenario, type RunSummary } from '../run/run-scenario.ts';
import { HWM_SLACK_BYTES } from '../verdict/assertions.ts';
import { packageFile } from '../../lib/paths.ts';

export const BENCH_SCENARIO = packageFile('loads/bench/openat-max.yaml');

export interface BenchRow {
  daemon: 'tsauditd' | 'auditd';
  round: number;
  eventsPerSec: number;
  cpuSecPer100k: number;
  peakRssBytes: number;
  idleRssBytes: number;
  /** tsauditd: idle RSS + queue_hwm_bytes + 16 MiB, the target */
  rssTargetBytes: number | null;
  silentLoss: number;
  kernelLost: number;
  dir: string;
}

export interface BenchResult {
  rows: BenchRow[];
  median: Record<'tsauditd' | 'auditd', { eventsPerSec: number; cpuSecPer100k: number; peakRssBytes: number }>;
  ratio: { eventsPerSec: number; cpuSecPer100k: number; peakRssBytes: number };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

function row(daemon: 'tsauditd' | 'auditd', round: number, s: RunSummary): BenchRow {
  const m = s.metrics;
  const hwm = 16 * 1024 * 1024;
  return {
    daemon, round, eventsPerSec: m.throughputEventsPerSec,
    cpuSecPer100k: m.events.logged ? (m.daemonCpuSeconds / m.events.logged) * 100_000 : NaN,
    peakRssBytes: m.peakRssBytes, idleRssBytes: m.idleRssBytes,
    rssTargetBytes: daemon === 'tsauditd' ? m.idleRssBytes + hwm + HWM_SLACK_BYTES : null,
    silentLoss: m.events.silentLoss, kernelLost: m.kernel.lost, dir: s.dir,
  };
}

export async function bench(o: { rounds: number; duration?: string; outRoot?: string; log: (l: string) => void }): Promise<BenchResult> {
  const rows: BenchRow[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    const order: Array<'tsauditd' | 'auditd'> = round % 2 ? ['tsauditd', 'auditd'] : ['auditd', 'tsauditd'];
    for (const daemon of order) {
      const scenario = loadScenario(BENCH_SCENARIO, { daemon, duration: o.duration });
      const out = await runScenario({ scenario, outRoot: o.outRoot, lockWaitMs: 600_000 });
      const r = row(daemon, round, out.summary);
      rows.push(r);
      o.log(`round ${round} ${daemon.padEnd(8)} ${Math.round(r.eventsPerSec)} events/s, ${r.cpuSecPer100k.toFixed(2)} CPU s/100k events, peak RSS ${(r.peakRssBytes / 1048576).toFixed(1)} MiB, silent loss ${r.silentLoss}`);
    }
  }
  const med = (d: 'tsauditd' | 'auditd') => {
    const rs = rows.filter((r) => r.daemon === d);
    return { eventsPerSec: median(rs.map((r) => r.eventsPerSec)), cpuSecPer100k: median(rs.map((r) => r.cpuSecPer100k)), peakRssBytes: median(rs.map((r) => r.peakRssBytes)) };
  };
  const m = { tsauditd: med('tsauditd'), auditd: med('auditd') };
  return {
    rows, median: m,
    ratio: {
      eventsPerSec: m.tsauditd.eventsPerSec / m.auditd.eventsPerSec,
      cpuSecPer100k: m.tsauditd.cpuSecPer100k / m.auditd.cpuSecPer100k,
      peakRssBytes: m.tsauditd.peakRssBytes / m.auditd.peakRssBytes,
    },
  };
}

export function formatBench(r: BenchResult): string {
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  const t = r.median.tsauditd, a = r.median.auditd;
  const rssOk = r.rows.filter((x) => x.daemon === 'tsauditd').every((x) => x.peakRssBytes <= (x.rssTargetBytes ?? Infinity));
  return [
    'median of rounds       tsauditd        auditd          ratio (tsauditd/auditd)',
    `events/s               ${String(Math.round(t.eventsPerSec)).padEnd(15)} ${String(Math.round(a.eventsPerSec)).padEnd(15)} ${r.ratio.eventsPerSec.toFixed(2)}`,
    `CPU s per 100k events  ${t.cpuSecPer100k.toFixed(2).padEnd(15)} ${a.cpuSecPer100k.toFixed(2).padEnd(15)} ${r.ratio.cpuSecPer100k.toFixed(2)}`,
    `peak RSS               ${mib(t.peakRssBytes).padEnd(15)} ${mib(a.peakRssBytes).padEnd(15)} ${r.ratio.peakRssBytes.toFixed(2)}`,
    '',
    `target: throughput >= auditd's: ${r.ratio.eventsPerSec >= 1 ? 'met' : 'NOT met'} (${r.ratio.eventsPerSec.toFixed(2)}x)`,
    `target: tsauditd peak RSS <= idle + queue_hwm_bytes + 16 MiB in every round: ${rssOk ? 'met' : 'NOT met'}`,
  ].join('\n');
}
