import t from 'tap';
import { deriveSeed, Prng } from '../../../loads/generators/prng.ts';
import { Pacer, rateAt, type Shape } from '../../../loads/generators/shape.ts';

t.test('same seed, same choices; another seed, other choices', async (t) => {
  const draw = (seed: number) => {
    const p = new Prng(seed);
    return Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? p.int(0, 99) : i % 3 === 1 ? p.weighted([5, 1, 1]) : p.nextUint32()));
  };
  t.same(draw(12345), draw(12345));
  t.notSame(draw(12345), draw(12346));
  t.equal(deriveSeed(7, 0, 1), deriveSeed(7, 0, 1));
  t.not(deriveSeed(7, 0, 1), deriveSeed(7, 1, 0));
  t.not(deriveSeed(7, 0, 1), deriveSeed(8, 0, 1));
});

t.test('distribution is sane', async (t) => {
  const p = new Prng(1);
  const counts = [0, 0, 0];
  for (let i = 0; i < 70_000; i++) counts[p.weighted([5, 1, 1])]++;
  t.ok(Math.abs(counts[0] / 50_000 - 1) < 0.03, `weight 5 -> ${counts[0]}`);
  let sum = 0;
  for (let i = 0; i < 100_000; i++) sum += p.next();
  t.ok(Math.abs(sum / 100_000 - 0.5) < 0.01);
});

t.test('shapes', async (t) => {
  t.equal(rateAt({ kind: 'steady' }, 100, 5000), 100);
  t.equal(rateAt({ kind: 'steady' }, 'max', 5000), 'max');
  const ramp: Shape = { kind: 'ramp', from: 0, to: 1000 };
  t.equal(rateAt(ramp, 'max', 5000, 10_000), 500);
  t.equal(rateAt(ramp, 'max', 20_000, 10_000), 1000);
  const sq: Shape = { kind: 'square', low: 10, high: 'max', periodMs: 1000, duty: 0.25 };
  t.equal(rateAt(sq, 1, 100), 'max');
  t.equal(rateAt(sq, 1, 300), 10);
  t.equal(rateAt(sq, 1, 1100), 'max');
  const burst: Shape = { kind: 'burst', everyMs: 10_000, forMs: 2000, rate: 5000, firstMs: 8000 };
  t.equal(rateAt(burst, 100, 1000), 100);
  t.equal(rateAt(burst, 100, 8500), 5000);
  t.equal(rateAt(burst, 100, 10_500), 100);
  t.equal(rateAt(burst, 100, 18_100), 5000);
});

t.test('the pacer delivers the integral of the rate', async (t) => {
  const pacer = new Pacer({ kind: 'ramp', from: 0, to: 2000 }, 'max', 0, 10_000);
  let total = 0;
  for (let ms = 10; ms <= 10_000; ms += 10) total += pacer.due(ms);
  t.ok(Math.abs(total - 10_000) <= 2, `ramp 0->2000/s over 10 s: ${total} ops (expected 10000)`);
  const capped = new Pacer({ kind: 'steady' }, 100, 0, undefined, 50);
  t.equal(capped.due(60_000), 50, 'never more than maxBurst at once');
  t.ok(capped.due(60_010) <= 50, 'a long stall owes at most a second');
});
