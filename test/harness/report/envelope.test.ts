// Time-aligned envelopes: bounded, spikes kept as maxima, dips as minima, gaps as nulls, and
// runs of different lengths land on one time grid.
import t from 'tap';
import { EnvelopeTable, widenEnvelope } from '../../../harness/report/envelope.ts';

t.test('8 hours at 10 Hz: bounded, every spike and dip survives, times stay aligned', async (t) => {
  const e = new EnvelopeTable(['v', 'w'] as const, 2048);
  const n = 8 * 3600 * 10;
  for (let i = 0; i < n; i++) e.push(i * 100, { v: i === 123_457 ? 1e9 : i === 200_001 ? -5 : 1000 + (i % 7), w: i % 2 ? null : i });
  const env = e.toEnvelope();
  t.equal(env.widthMs, 25_600, 'width doubled 8 times: 100 ms * 2^8');
  t.ok(env.x.length <= 2048 && env.x.length > 1024, `${env.x.length} buckets`);
  t.equal(env.n.reduce((a, b) => a + b, 0), n, 'every sample counted once');
  const v = env.columns.v;
  t.equal(Math.max(...(v.max as number[])), 1e9, 'spike kept as a max');
  t.equal(Math.min(...(v.min as number[])), -5, 'dip kept as a min');
  const spikeBucket = Math.floor(123_457 * 100 / 25_600);
  t.equal(v.max[spikeBucket], 1e9, 'in the bucket whose time slice holds it');
  t.equal(env.x[spikeBucket], spikeBucket * 25.6, 'x is the bucket start in seconds');
  t.equal(v.min[spikeBucket], 1000, 'its bucket still shows the floor');
  t.ok(env.columns.w.max.every((x) => x !== null), 'a column with gaps still has values per wide bucket');
  const mean = env.columns.v.mean[10]!;
  t.ok(mean > 1000 && mean < 1006, `mean of an ordinary bucket ${mean}`);
});

t.test('at the sampling period each sample is its own bucket; missing samples are gaps', async (t) => {
  const e = new EnvelopeTable(['v'] as const, 64);
  for (const i of [0, 1, 2, 5, 6]) e.push(i * 100 + 3, { v: i * 10 });
  const env = e.toEnvelope();
  t.equal(env.widthMs, 100);
  t.same(env.columns.v.max, [0, 10, 20, null, null, 50, 60]);
  t.same(env.columns.v.min, env.columns.v.max);
  t.same(env.x, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
});

t.test('last is the latest value in time, also across merges', async (t) => {
  const e = new EnvelopeTable(['v'] as const, 4);
  for (let i = 0; i < 8; i++) e.push(i * 100, { v: 100 - i });
  const env = e.toEnvelope();
  t.equal(env.widthMs, 200);
  t.same(env.columns.v.last, [99, 97, 95, 93]);
  t.same(env.columns.v.max, [100, 98, 96, 94]);
  t.same(env.columns.v.min, [99, 97, 95, 93]);
});

t.test('widenEnvelope matches a table that grew to that width by itself', async (t) => {
  // 12 samples end on a 400 ms boundary, so the last wide bucket is complete in both
  const short = new EnvelopeTable(['v'] as const, 16);
  const long = new EnvelopeTable(['v'] as const, 16);
  for (let i = 0; i < 12; i++) short.push(i * 100, { v: (i * 37) % 11 });
  for (let i = 0; i < 60; i++) long.push(i * 100, { v: (i * 37) % 11 });
  const a = short.toEnvelope();
  const b = long.toEnvelope();
  t.equal(b.widthMs, 400);
  const w = widenEnvelope(a, b.widthMs);
  t.equal(w.widthMs, 400);
  t.same(w.x, b.x.slice(0, w.x.length), 'same grid');
  t.same(w.columns.v.max, b.columns.v.max.slice(0, w.x.length));
  t.same(w.columns.v.min, b.columns.v.min.slice(0, w.x.length));
  short.widenTo(400);
  t.same(short.toEnvelope().columns.v.max, w.columns.v.max, 'widenTo on the table agrees');
});

t.test('bad capacity and bad times', async (t) => {
  t.throws(() => new EnvelopeTable(['v'], 3), /even number/);
  const e = new EnvelopeTable(['v'] as const, 4);
  e.push(-1, { v: 1 });
  e.push(Number.NaN, { v: 1 });
  e.push(0, { v: Number.POSITIVE_INFINITY });
  t.same(e.toEnvelope().columns.v.max, [null], 'negative/NaN times dropped, non-finite values are gaps');
});
