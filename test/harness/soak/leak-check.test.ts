// The leak check must not fail on noise (GC sawtooth, slow swings) and must catch a real leak.
import t from 'tap';
import { leakCheck, pointsFromBuckets } from '../../../harness/soak/leak-check.ts';
import { DownsampledSeries } from '../../../harness/metrics/downsample.ts';
import { rssSlope } from '../../../harness/verdict/rss-slope.ts';

function rng(seed: number) {
  let s = seed;
  return () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
}
const MiB = 1048576;

t.test('flat RSS with a GC sawtooth and noise: no leak', async (t) => {
  const r = rng(1);
  const series = new DownsampledSeries(1024);
  for (let i = 0; i < 36_000; i++) { // 1 h at 10 Hz
    const tMs = i * 100;
    series.push(tMs, 100 * MiB + ((tMs % 30_000) / 30_000) * 8 * MiB + r() * 2 * MiB);
  }
  const v = leakCheck(pointsFromBuckets(series.toArray(), 60_000));
  t.equal(v.leak, false, v.reason);
});

t.test('a slow swing (autocorrelated): naive per-sample fit is fooled, the check is not', async (t) => {
  const r = rng(7);
  const pts: Array<{ tMs: number; rss: number }> = [];
  const series = new DownsampledSeries(1024);
  let walk = 0;
  for (let i = 0; i < 18_000; i++) { // 30 min: a random walk (allocator drift) that returns, no trend
    walk = 0.999 * walk + (r() - 0.5) * 200 * 1024;
    const tMs = i * 100;
    const v = 100 * MiB + walk;
    pts.push({ tMs, rss: v });
    series.push(tMs, v);
  }
  const naive = rssSlope(pts)!;
  const v = leakCheck(pointsFromBuckets(series.toArray(), 0), 64);
  t.comment(`naive slope ${naive.slope.toFixed(1)} ± ${naive.stderr.toFixed(1)}; ours ${v.slope.toFixed(1)} ± ${v.stderr.toFixed(1)} (r1 ${v.r1.toFixed(2)})`);
  t.ok(v.stderr > naive.stderr * 3, 'the standard error accounts for autocorrelation');
  t.equal(v.leak, naive.lowerBound > 64 && v.lowerBound > 64, 'no leak unless the bound really clears the limit');
});

t.test('a real leak of 2 KiB/s under noise is caught', async (t) => {
  const r = rng(3);
  const series = new DownsampledSeries(1024);
  for (let i = 0; i < 36_000; i++) {
    const tMs = i * 100;
    series.push(tMs, 100 * MiB + (tMs / 1000) * 2048 + ((tMs % 30_000) / 30_000) * 8 * MiB + r() * 2 * MiB);
  }
  const v = leakCheck(pointsFromBuckets(series.toArray(), 60_000));
  t.equal(v.leak, true, v.reason);
  t.ok(Math.abs(v.slope - 2048) < 300, `slope ${v.slope}`);
  t.ok(v.per8hBytes > 50 * MiB);
});

t.test('too few points: no verdict, said so', async (t) => {
  const v = leakCheck([{ t: 0, v: 1 }, { t: 1, v: 2 }]);
  t.equal(v.leak, false);
  t.match(v.reason, /too few/);
});
