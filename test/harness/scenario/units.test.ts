import t from 'tap';
import { formatDuration, formatSize, parseByteRate, parseDuration, parseSize, UnitError } from '../../../harness/scenario/units.ts';

t.test('durations', async (t) => {
  t.equal(parseDuration('500ms'), 500);
  t.equal(parseDuration('10s'), 10_000);
  t.equal(parseDuration('2m'), 120_000);
  t.equal(parseDuration('1h30m'), 5_400_000);
  t.equal(parseDuration('1.5s'), 1500);
  t.equal(parseDuration('1d2h3m4s5ms'), 93_784_005);
  t.equal(parseDuration('0s'), 0);
  t.throws(() => parseDuration(10), { name: 'UnitError', message: /10 has no unit; write 10s or 10ms/ });
  t.throws(() => parseDuration('10'), { message: /"10" has no unit/ });
  t.throws(() => parseDuration('10x'), { message: /"10x" is not a duration: a number with a unit ms, s, m, h or d/ });
  t.throws(() => parseDuration('30m1h'), { message: /largest to smallest/ });
  t.throws(() => parseDuration('1s1s'), { message: /largest to smallest/ });
  t.throws(() => parseDuration('0.5ms'), { message: /whole number of milliseconds/ });
  t.throws(() => parseDuration(''), UnitError);
  t.throws(() => parseDuration(undefined), { message: /got undefined/ });
  for (const ms of [0, 1, 999, 1000, 61_000, 5_400_000, 93_784_005]) t.equal(parseDuration(formatDuration(ms)), ms, `round trip ${ms}`);
});

t.test('sizes', async (t) => {
  t.equal(parseSize('64KiB'), 65536);
  t.equal(parseSize('256MiB'), 268435456);
  t.equal(parseSize('1GiB'), 1073741824);
  t.equal(parseSize('1.5MB'), 1_500_000);
  t.equal(parseSize('1.5KiB'), 1536);
  t.equal(parseSize('512B'), 512);
  t.equal(parseSize('2kB'), 2000);
  t.throws(() => parseSize(256), { message: /256 has no unit; write 256B, 256KiB or 256MiB/ });
  t.throws(() => parseSize('256'), { message: /has no unit/ });
  t.throws(() => parseSize('256M'), { message: /"M" is ambiguous: write 256MiB \(binary\) or 256MB \(decimal\)/ });
  t.throws(() => parseSize('1.1B'), { message: /whole number of bytes/ });
  t.throws(() => parseSize('5 parsecs'), { message: /unknown unit "parsecs"/ });
  t.equal(formatSize(268435456), '256MiB');
  t.equal(formatSize(1536), '1.5KiB');
  t.equal(formatSize(100), '100B');
});

t.test('byte rates', async (t) => {
  t.equal(parseByteRate(1000), 1000);
  t.equal(parseByteRate('64KiB/s'), 65536);
  t.throws(() => parseByteRate('64KiB'), { message: /the "\/s" is required/ });
  t.throws(() => parseByteRate(-1), UnitError);
});
