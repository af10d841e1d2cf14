// A compressed soak: 8 hours of 10 Hz samples (288,000, with events) fed through the soak
// metrics writer and the run aggregates at full speed, with checkpoints. Checks that
// metrics.jsonl stays bounded, that the harness's own RSS stays flat, that a killed soak can
// still be read, and that checkpoints are whole JSON.
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoakMetricsWriter, readSoakLines } from '../../../harness/soak/soak-metrics-writer.ts';
import { RunAggregates } from '../../../harness/metrics/aggregates.ts';
import { startCheckpoints } from '../../../harness/soak/checkpoints.ts';
import { selfRssBytes } from '../../../harness/soak/self-rss.ts';
import { leakCheck, pointsFromBuckets } from '../../../harness/soak/leak-check.ts';
import type { MetricsSample } from '../../../harness/metrics/metrics-types.ts';

const HOURS = 8;
const MiB = 1048576;

function sample(i: number): MetricsSample {
  const t = i * 100;
  return {
    t, ts: 1.7e12 + t, pid: 4242, rss: 100 * MiB + (i % 300) * 4096, hwm: 110 * MiB, rssAll: 101 * MiB, cpu: 12.5, cpuSec: i / 100,
    cgroup: { usage: 120 * MiB, peak: 130 * MiB, limit: 512 * MiB, oomKills: 0, throttledUs: null },
    kernel: { backlog: i % 50, lost: Math.floor(i / 1000), waitActualMs: 0, backlogLimit: 8192, ageMs: 20 },
    memAvailable: 3000 * MiB, daemon: null, load: { eventsPerSec: 20_000 + (i % 7), total: i * 2000 },
  };
}

t.test('8 h at 10 Hz: bounded file, flat harness RSS, readable when killed, whole checkpoints', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'soak-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const planned = HOURS * 3600_000;
  const w = new SoakMetricsWriter({ dir, plannedDurationMs: planned, recentMs: 10 * 60_000 });
  const agg = new RunAggregates(60_000);
  let last: MetricsSample | null = null;
  const cps = startCheckpoints({ dir, intervalMs: 60_000, build: () => ({ partial: true, samples: agg.summary().samples, lastT: last?.t }) });
  const total = HOURS * 36_000;
  const rss: Array<{ i: number; rss: number }> = [];
  for (let i = 0; i < total; i++) {
    const s = sample(i);
    last = s;
    w.write(s);
    agg.addSample(s);
    if (i % 3000 === 0) w.write({ t: s.t, ts: s.ts, event: 'backlog-limit', text: 'audit: backlog limit exceeded' });
    if (i % 36_000 === 0) { cps.write(); rss.push({ i, rss: selfRssBytes() }); }
    if (i % 50_000 === 0) await new Promise((r) => setImmediate(r));
  }
  // killed here: history + recent segments are readable
  const partial = readSoakLines(dir);
  t.ok(partial.length > 6000, `a killed soak still has ${partial.length} lines`);
  const cp = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  t.equal(cp.partial, true);
  t.ok(cp.samples > 0);
  cps.stop();
  w.close();
  const size = statSync(join(dir, 'metrics.jsonl')).size;
  const fullRate = total * (JSON.stringify(sample(1)).length + 1);
  t.comment(`metrics.jsonl ${(size / MiB).toFixed(1)} MiB vs ${(fullRate / MiB).toFixed(0)} MiB at full rate; history lines ${w.historyLines}, bucket ${w.bucketMs} ms`);
  t.ok(size < 12 * MiB, 'metrics.jsonl bounded (full-rate 10 min + ~4,000 downsampled lines + events)');
  t.notOk(readdirSync(dir).some((f) => f.startsWith('metrics.recent-')), 'segments folded in on close');
  const lines = readSoakLines(dir);
  for (let i = 1; i < lines.length; i++) if (!('event' in lines[i]) && !('event' in lines[i - 1]) && lines[i].t < lines[i - 1].t) { t.fail(`out of order at ${i}`); break; }
  const ds = lines.find((l) => 'ds' in l) as unknown as { ds: { n: number; max: { rss: number }; min: { rss: number } } };
  t.ok(ds && ds.ds.n > 1 && ds.ds.max.rss > ds.ds.min.rss, 'downsampled lines keep min and max');
  t.ok(existsSync(join(dir, 'summary.json')));
  // harness RSS: flat after the first hour (bounded structures only)
  const after = rss.slice(1);
  const growth = after[after.length - 1].rss - after[0].rss;
  t.comment(`harness RSS per simulated hour: ${rss.map((r) => (r.rss / MiB).toFixed(0)).join(', ')} MiB`);
  t.ok(growth < 24 * MiB, `harness RSS grew ${(growth / MiB).toFixed(1)} MiB over ${HOURS - 1} simulated hours`);
  // and the daemon figure: a flat sawtooth is not a leak
  t.equal(leakCheck(pointsFromBuckets(agg.summary().series.rss.buckets, 60_000)).leak, false);
});
