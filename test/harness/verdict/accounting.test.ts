// Accounting is what makes a verdict trustworthy: a daemon that drops or duplicates records is
// caught, and loss a counter explains is told apart from silent loss.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countLogEvents } from '../../../harness/verdict/log-events.ts';
import { accountEvents } from '../../../harness/verdict/accounting.ts';
import { evaluate, toTap } from '../../../harness/verdict/assertions.ts';
import { rssSlope } from '../../../harness/verdict/rss-slope.ts';

const AUID = 1234567;
const event = (serial: number, auid = AUID, parts = ['SYSCALL', 'CWD', 'PATH', 'PROCTITLE']) => parts.map((type) =>
  `type=${type} msg=audit(1700000000.${String(serial % 1000).padStart(3, '0')}:${serial}): ` +
  (type === 'SYSCALL' ? `arch=c000003e syscall=257 success=yes exit=3 pid=42 auid=${auid} ses=3 key="storm"` : type === 'PROCTITLE' ? 'proctitle=6E6F6465' : 'x=1'));

function log(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'acct-'));
  const file = join(dir, 'audit.log');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

t.test('counts the run\'s events only, complete and not', async (t) => {
  const lines = [
    ...event(1), ...event(2), ...event(3, 999), // another auid: not ours
    ...event(4, AUID, ['SYSCALL', 'CWD']), // PROCTITLE missing: incomplete
    `type=LOGIN msg=audit(1700000000.005:5): pid=42 old-auid=4294967295 auid=${AUID} res=1`,
    ...event(5, AUID, ['SYSCALL', 'PROCTITLE']), // the loginuid write itself: not a load event
    `type=USER msg=audit(1700000000.006:6): pid=42 uid=0 auid=${AUID} ses=3 msg='hello'`,
    'garbage line',
  ];
  const c = await countLogEvents([log(lines)], AUID);
  t.equal(c.events, 4, 'events 1, 2, 4 and the user message');
  t.equal(c.complete, 3);
  t.equal(c.incomplete, 1);
  t.equal(c.duplicateEvents, 0);
  t.equal(c.malformedLines, 1);
});

t.test('a daemon that duplicates or drops on cue is caught', async (t) => {
  const ok = Array.from({ length: 10 }, (_, i) => event(i + 1)).flat();
  const dup = [...ok, ...event(3), ...event(7)];
  const c = await countLogEvents([log(dup)], AUID);
  t.equal(c.events, 10);
  t.equal(c.duplicateEvents, 2, 'two events written twice');
  const a = accountEvents(10, c, { kernelLost: 0, daemonDropped: 0 });
  t.equal(a.duplicates, 2);
  t.notOk(evaluate({ silentLossMax: 0 }, { peakRssBytes: 0, idleRssBytes: 0, queueBoundBytes: null, slope: null, oomKills: 0, kernelLost: 0, throughputEventsPerSec: 0, backlogWaitMs: 0, events: a, daemonDied: null })
    .find((x) => x.name === 'no duplicate events')!.ok);

  const dropped = ok.filter((l) => !/:(4|5|6)\)/.test(l));
  const d = await countLogEvents([log(dropped)], AUID);
  t.equal(d.events, 7);
  t.match(accountEvents(10, d, { kernelLost: 0, daemonDropped: 0 }), { silentLoss: 3, accountedLoss: 0 }, 'unexplained loss is silent');
  t.match(accountEvents(10, d, { kernelLost: 1, daemonDropped: 2 }), { silentLoss: 0, accountedLoss: 3 }, 'counted loss is accounted');
  t.match(accountEvents(10, d, { kernelLost: 1, daemonDropped: null }), { silentLoss: 2, accountedLoss: 1 });
});

t.test('rotated logs are read oldest first and together', async (t) => {
  const a = log(event(1));
  const b = log(event(2));
  t.equal((await countLogEvents([a, b], AUID)).events, 2);
});

t.test('assertions: limits, the hwm bound, TAP', async (t) => {
  const events = accountEvents(5, { events: 5, complete: 5, incomplete: 0, duplicateRecords: 0, duplicateEvents: 0, lossNotices: 0, malformedLines: 0, byType: {}, perSecond: new Map(), lines: 20 }, { kernelLost: 0, daemonDropped: 0 });
  const base = { peakRssBytes: 90 << 20, idleRssBytes: 60 << 20, queueBoundBytes: 16 << 20, slope: null, oomKills: 0, kernelLost: 0, throughputEventsPerSec: 1000, backlogWaitMs: 5, events, daemonDied: null };
  const res = evaluate({ peakRssMax: 'hwm', oomKillsMax: 0, throughputMin: 500 }, base);
  t.ok(res.every((a) => a.ok), 'within idle + hwm + 16 MiB');
  const over = evaluate({ peakRssMax: 'hwm' }, { ...base, peakRssBytes: 93 << 20 });
  t.notOk(over[0]!.ok, 'past the bound fails');
  t.match(over[0]!.detail, /queue bound/);
  const tap = toTap('x', over);
  t.match(tap, /^TAP version 14/);
  t.match(tap, /not ok 1 - peak RSS under its bound/);
  t.match(evaluate({}, { ...base, daemonDied: 'killed' }).at(-1), { name: 'daemon ran to the end', ok: false });
});

t.test('RSS slope: a leak is seen, noise is not', async (t) => {
  let seed = 7;
  const noise = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return (seed / 2 ** 31 - 0.5) * 2e6; };
  const flat = Array.from({ length: 300 }, (_, i) => ({ tMs: i * 100, rss: 50e6 + noise() }));
  const leak = Array.from({ length: 300 }, (_, i) => ({ tMs: i * 100, rss: 50e6 + i * 100 * 100 + noise() })); // 100 kB/s
  t.ok(rssSlope(flat)!.lowerBound < 20_000, 'flat: lower bound under 20 kB/s');
  t.ok(rssSlope(leak)!.lowerBound > 50_000, 'leak: lower bound over 50 kB/s');
  t.equal(rssSlope([{ tMs: 0, rss: 1 }]), null);
});
