// Bounded series: capacity holds, extremes survive merging, slopes are right.
import t from 'tap';
import { DownsampledSeries, OnlineSlope } from '../../../harness/metrics/downsample.ts';

t.test('8 hours at 10 Hz stay within capacity and keep the spike', async (t) => {
  const s = new DownsampledSeries(1024);
  const n = 8 * 3600 * 10;
  for (let i = 0; i < n; i++) s.push(i * 100, i === 123_456 ? 1e9 : 1000 + (i % 7));
  const b = s.toArray();
  t.ok(b.length <= 1024 && b.length > 512, `${b.length} buckets`);
  t.equal(Math.max(...b.map((x) => x.max)), 1e9, 'spike kept');
  t.equal(Math.min(...b.map((x) => x.min)), 1000);
  t.equal(b.reduce((a, x) => a + x.n, 0), n, 'every sample counted once');
  t.equal(b[0].t0, 0);
  t.equal(b.at(-1)!.t1, (n - 1) * 100);
});

t.test('slopes: exact online and bucketed agree on a line', async (t) => {
  const s = new DownsampledSeries(16);
  const o = new OnlineSlope();
  for (let i = 0; i < 1000; i++) {
    const tMs = i * 100;
    const v = 5_000_000 + 2048 * (tMs / 1000) + (i % 2 ? 10 : -10);
    s.push(tMs, v);
    o.push(tMs / 1000, v);
  }
  t.ok(Math.abs(o.slope! - 2048) < 1, `online ${o.slope}`);
  t.ok(Math.abs(s.slopePerSec()! - 2048) < 5, `bucketed ${s.slopePerSec()}`);
  t.ok(Math.abs(s.slopePerSec(50_000)! - 2048) < 5, 'from a warm-up point');
  t.equal(new OnlineSlope().slope, null);
  t.throws(() => new DownsampledSeries(3), /even number/);
});

t.test('nulls are not samples', async (t) => {
  const s = new DownsampledSeries(4);
  s.push(0, null);
  s.push(1, undefined);
  s.push(2, Number.NaN);
  t.same(s.toArray(), []);
});
