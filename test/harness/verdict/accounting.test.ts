// Accounting is what makes a verdict trustworthy: each fixture below lies by a known amount and
// is caught by exactly that amount; counters of records never explain a loss of events.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogScanner, scanLogFiles, type LogScan } from '../../../harness/verdict/log-events.ts';
import { ENRICHED, RAW, logFormat } from '../../../harness/verdict/log-format.ts';
import { accountEvents, eventsMissing, lossPhrase, type AccountingInputs } from '../../../harness/verdict/accounting.ts';
import { evaluate, toTap } from '../../../harness/verdict/assertions.ts';
import { rssSlope } from '../../../harness/verdict/rss-slope.ts';
import { SerialSet } from '../../../harness/kernel/serial-set.ts';
import { KernelPrints } from '../../../harness/monitors/kernel-prints.ts';
import { parsePrintedAudit } from '../../../harness/monitors/kmsg.ts';

const AUID = 1234567;
const PID = 42;
type Part = 'SYSCALL' | 'CWD' | 'PATH' | 'PROCTITLE';
const stamp = (serial: number) => `audit(1700000000.${String(serial % 1000).padStart(3, '0')}:${serial})`;
const body = (type: Part, auid: number, items = 1, item = 0, pid = PID) =>
  type === 'SYSCALL' ? `arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7f a2=0 a3=0 items=${items} ppid=1 pid=${pid} auid=${auid} uid=0 ses=3 comm="node" key="storm"`
    : type === 'PROCTITLE' ? 'proctitle=6E6F6465' : type === 'PATH' ? `item=${item} name="/tmp/x" inode=1 dev=08:01 mode=0100644` : 'cwd="/tmp"';
const event = (serial: number, o: { auid?: number; parts?: Part[]; pid?: number } = {}) =>
  (o.parts ?? ['SYSCALL', 'CWD', 'PATH', 'PROCTITLE']).map((type) => `type=${type} msg=${stamp(serial)}: ${body(type, o.auid ?? AUID, 1, 0, o.pid)}`);

function scan(lines: string[], loadPids: number[] = [PID]): LogScan {
  const s = new LogScanner({ auid: AUID, loadPids });
  for (const l of lines) s.line(l);
  return s.finish();
}

const root = mkdtempSync(join(tmpdir(), 'acct-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

function file(lines: string[]): string {
  const dir = mkdtempSync(join(root, 'log-'));
  const f = join(dir, 'audit.log');
  writeFileSync(f, `${lines.join('\n')}\n`);
  return f;
}

const noKernel = { lostDelta: 0, printed: new SerialSet(), suppressed: 0, missedKmsgRecords: 0, holdsPrinted: false };
const noDaemon = { droppedEvents: null, notWrittenEvents: null };
const inputs = (generated: number, log: LogScan, o: Partial<AccountingInputs> = {}): AccountingInputs =>
  ({ generated, generatedByPid: new Map([[PID, generated]]), log, kernel: noKernel, daemon: noDaemon, ...o });

t.test('serial set: add, has, size, iteration, difference, intersection count', async (t) => {
  const s = new SerialSet();
  for (const n of [5, 70000, 4294967295, 5, 0]) s.add(n);
  t.equal(s.size, 4, 'a repeated serial is one');
  t.ok(s.has(4294967295) && s.has(0) && !s.has(6));
  t.same([...s], [0, 5, 70000, 4294967295], 'ascending');
  const o = new SerialSet();
  o.add(5); o.add(1);
  t.equal(s.countIn(o), 1);
  t.same([...s.minus(o)], [0, 70000, 4294967295]);
  const big = new SerialSet();
  for (let i = 0; i < 1_000_000; i++) big.add(3_000_000_000 + i);
  t.equal(big.size, 1_000_000);
  t.ok(big.bytes < 200_000, `a million consecutive serials in ${big.bytes} bytes`);
});

t.test('formats: RAW, ENRICHED (0x1D and interpreted fields cut), not-a-record', async (t) => {
  const raw = `type=SYSCALL msg=${stamp(7)}: ${body('SYSCALL', AUID)}`;
  t.match(RAW.parse(raw), { type: 'SYSCALL', typeNumber: 1300, serial: 7, sec: 1700000000 });
  const enriched = `${raw}\x1dARCH=x86_64 SYSCALL=openat AUID="nobody" UID="root"`;
  const r = ENRICHED.parse(enriched)!;
  t.equal(r.body, body('SYSCALL', AUID), 'interpreted fields are not read as fields');
  t.equal(ENRICHED.parse('garbage'), null);
  t.equal(ENRICHED.parse('type=SYSCALL msg=audit(17.1:x): a=1'), null);
  t.equal(logFormat('RAW'), RAW);
  t.throws(() => logFormat('xml'), /log format 'xml'.*known: raw, enriched/);
  // a long run of 0x1D and of text costs linear time, not quadratic
  const long = `${raw}${'\x1d'.repeat(200_000)}${'a='.repeat(200_000)}`;
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) ENRICHED.parse(long);
  t.ok(performance.now() - t0 < 500, 'twenty 1 MB lines in well under a second');
});

t.test('counts the run\'s events only, complete and not', async (t) => {
  const c = await scanLogFiles([file([
    ...event(1), ...event(2), ...event(3, { auid: 999 }), // another auid: not ours
    ...event(4, { parts: ['SYSCALL', 'CWD', 'PATH'] }), // PROCTITLE missing
    `type=LOGIN msg=${stamp(5)}: pid=42 uid=0 old-auid=4294967295 auid=${AUID} tty=(none) old-ses=1 ses=3 res=1`,
    ...event(5, { parts: ['SYSCALL', 'PROCTITLE'] }), // the loginuid write itself: not a load event
    `type=USER msg=${stamp(6)}: pid=42 uid=0 auid=${AUID} ses=3 msg='hello'`,
    ...event(8, { parts: ['SYSCALL', 'CWD', 'PROCTITLE'] }), // items=1 but no PATH
    'garbage line',
  ])], { auid: AUID, loadPids: [PID] });
  t.equal(c.events, 5, 'events 1, 2, 4, 8 and the user message');
  t.same([...c.serials], [1, 2, 4, 6, 8]);
  t.equal(c.complete, 3);
  t.equal(c.incomplete, 2);
  t.same(c.missingRecords, { PROCTITLE: 1, PATH: 1 });
  t.equal(c.duplicates, 0);
  t.equal(c.malformedLines, 1);
  t.equal(c.byLoadPid.get(PID), 5);
});

t.test('a PATH record that names a path makes CWD due (the kernel takes the working directory for every name it records)', async (t) => {
  const path = (serial: number, name: string) => `type=PATH msg=${stamp(serial)}: item=0 name=${name} inode=1 dev=08:01 mode=0100644`;
  const c = scan([
    ...event(1), // SYSCALL, CWD, PATH, PROCTITLE: complete
    ...event(2, { parts: ['SYSCALL', 'PATH', 'PROCTITLE'] }), // name="/tmp/x", no CWD
    `type=SYSCALL msg=${stamp(3)}: ${body('SYSCALL', AUID)}`, path(3, '(null)'), `type=PROCTITLE msg=${stamp(3)}: proctitle=6E`,
    `type=SYSCALL msg=${stamp(4)}: ${body('SYSCALL', AUID)}`, path(4, '2F746D702F6120622063'), `type=PROCTITLE msg=${stamp(4)}: proctitle=6E`,
    `type=SYSCALL msg=${stamp(5)}: ${body('SYSCALL', AUID, 0)}`, `type=PROCTITLE msg=${stamp(5)}: proctitle=6E`, // items=0, no name
  ]);
  t.equal(c.events, 5);
  t.equal(c.complete, 3, 'events 1, 3 (name=(null) alone) and 5 (no PATH)');
  t.equal(c.incomplete, 2, 'events 2 and 4 (a hex-encoded name) lack their CWD');
  t.same([...c.incompleteSerials], [2, 4]);
  t.same(c.missingRecords, { CWD: 2 });
});

t.test('completeness follows items=N: each PATH item is due, once', async (t) => {
  const two = (serial: number, items: number[]) => [
    `type=SYSCALL msg=${stamp(serial)}: ${body('SYSCALL', AUID, 2)}`,
    `type=CWD msg=${stamp(serial)}: ${body('CWD', AUID)}`,
    ...items.map((i) => `type=PATH msg=${stamp(serial)}: ${body('PATH', AUID, 2, i)}`),
    `type=PROCTITLE msg=${stamp(serial)}: proctitle=6E`,
  ];
  const c = scan([...two(1, [0, 1]), ...two(2, [0]), ...two(3, [1, 1])]);
  t.equal(c.complete, 1);
  t.equal(c.incomplete, 2, 'item 1 missing; item 0 missing while item 1 came twice');
  t.equal(c.duplicates, 1);
  t.same(c.missingRecords, { PATH: 2 });
});

t.test('interleaved events are told apart by serial; late records are not duplicates', async (t) => {
  const a = event(10), b = event(11);
  const c = scan([a[0]!, b[0]!, a[1]!, b[1]!, a[2]!, b[2]!, a[3]!, b[3]!]);
  t.equal(c.complete, 2);
  const s = new LogScanner({ auid: AUID, loadPids: [PID], window: 2 });
  for (const l of [...event(1, { parts: ['SYSCALL', 'CWD'] }), ...event(2), ...event(3), ...event(1, { parts: ['PATH'] })]) s.line(l);
  const late = s.finish();
  t.equal(late.lateRecords, 1, 'a PATH three events late is reported as late');
  t.equal(late.duplicates, 0);
});

t.test('a daemon that writes events twice is caught, near or far', async (t) => {
  const ok = Array.from({ length: 10 }, (_, i) => event(i + 1)).flat();
  const c = scan([...ok, ...event(3), ...event(7), ...event(9).slice(2, 3)]);
  t.equal(c.events, 10);
  t.equal(c.duplicates, 3, 'two whole events written again, and one PATH record of a third');
  const near = scan([...event(1), ...event(1)]);
  t.equal(near.duplicates, 1, 'written twice in a row');
  t.equal(near.duplicateRecords, 4);
  const a = accountEvents(inputs(10, c));
  t.equal(a.duplicates, 3);
  t.equal(a.silentLoss, 0, 'duplicates do not cancel anything, nor count as loss');
});

// 100,000 generated, 65,000 logged, 40,000 kernel-printed RECORDS (10,000 events of 4 records):
// the old accounting said silent loss 0; 25,000 events were lost by nothing that says so.
t.test('printed records do not stand in for events: only serials the kernel printed count', async (t) => {
  const generated = 100_000;
  const log = scan(Array.from({ length: 65_000 }, (_, i) => event(i + 1)).flat());
  const prints = new KernelPrints(AUID);
  for (let s = 65_001; s <= 75_000; s++) {
    for (const l of event(s)) {
      const type = { SYSCALL: 1300, CWD: 1307, PATH: 1302, PROCTITLE: 1327 }[l.slice(5, l.indexOf(' ')) as Part];
      prints.add(parsePrintedAudit(`audit: type=${type} ${l.slice(l.indexOf('msg=') + 4)}`)!);
    }
  }
  t.equal(prints.records, 40_000);
  const a = accountEvents(inputs(generated, log, { kernel: { ...noKernel, printed: prints.events() } }));
  t.equal(a.lost.kernelDropped, 10_000, '10,000 events by serial');
  t.equal(a.silentLoss, 25_000);
  t.equal(a.silentLossBound, undefined, 'exact: no record counter took part');
  t.equal(eventsMissing(a), 35_000);
});

t.test('printed serials that are in the log, or of another auid, or LOGIN events, are not kernel drops', async (t) => {
  const log = scan([...event(1), ...event(2)]);
  const prints = new KernelPrints(AUID);
  prints.add(parsePrintedAudit(`audit: type=1300 ${stamp(2)}: ${body('SYSCALL', AUID)}`)!); // delivered after all (audit=1 hold)
  prints.add(parsePrintedAudit(`audit: type=1300 ${stamp(3)}: ${body('SYSCALL', 4242)}`)!); // someone else's
  prints.add(parsePrintedAudit(`audit: type=1305 ${stamp(4)}: op=set audit_pid=0 old=77 auid=4294967295 ses=4294967295 res=1`)!); // daemon unregistering
  prints.add(parsePrintedAudit(`audit: type=1300 ${stamp(5)}: ${body('SYSCALL', AUID)}`)!);
  prints.add(parsePrintedAudit(`audit: type=1006 ${stamp(5)}: pid=42 uid=0 old-auid=4294967295 auid=${AUID} res=1`)!);
  prints.add(parsePrintedAudit(`audit: type=1300 ${stamp(6)}: ${body('SYSCALL', AUID)}`)!);
  t.same([...prints.events()], [2, 6]);
  t.equal(prints.otherAuidRecords, 1);
  const a = accountEvents(inputs(3, log, { kernel: { ...noKernel, printed: prints.events() } }));
  t.equal(a.lost.kernelDropped, 1, 'serial 6 only');
  t.equal(a.silentLoss, 0);
  const held = accountEvents(inputs(3, log, { kernel: { ...noKernel, printed: prints.events(), holdsPrinted: true } }));
  t.equal(held.lost.kernelDropped, 0, 'audit=1: printed records are held, not dropped');
  t.match(held.method.kernelDropped, /audit=1/);
  t.equal(held.silentLoss, 1);
});

// 10,000 events missing from the log with 98,500 plugin drops (records) was "silent loss 0".
t.test('daemon drops count as events from a per-event counter only; record counters are a bound', async (t) => {
  const log = scan(Array.from({ length: 90 }, (_, i) => event(i + 1)).flat());
  const none = accountEvents(inputs(100, log));
  t.equal(none.silentLoss, 10, 'no per-event counter: all ten missing are silent');
  t.equal(none.lost.daemonDropped, null);
  t.match(none.method.daemonDropped, /none/);
  const counted = accountEvents(inputs(100, log, { daemon: { droppedEvents: 6, notWrittenEvents: 1 } }));
  t.equal(counted.silentLoss, 3, 'six dropped + one not written explain seven of ten');
  const bounded = accountEvents(inputs(100, log, { kernel: { ...noKernel, lostDelta: 2, suppressed: 1 }, daemon: { droppedEvents: 6, notWrittenEvents: 1 } }));
  t.equal(bounded.silentLoss, 0, 'three records counted may each have been one of the three events');
  t.equal(bounded.silentLossBound, 3, 'the silent loss is at most three');
  t.equal(bounded.lost.kernelDroppedUnattributed, 1);
  const over = accountEvents(inputs(100, log, { daemon: { droppedEvents: 500, notWrittenEvents: null } }));
  t.equal(over.silentLoss, 0, 'a claim never makes silent loss negative');
});

t.test('a daemon that discards every 7th event while dropping by policy is caught by exactly what it discarded', async (t) => {
  const lines: string[] = [];
  let policyDrops = 0, discarded = 0;
  for (let s = 1; s <= 7_000; s++) {
    if (s % 5 === 0) { policyDrops++; continue; } // dropped by policy, counted
    if (s % 7 === 0) { discarded++; continue; } // secretly discarded
    lines.push(...event(s));
  }
  const a = accountEvents(inputs(7_000, scan(lines), { daemon: { droppedEvents: policyDrops, notWrittenEvents: 0 } }));
  t.equal(a.silentLoss, discarded);
  t.equal(discarded, 800);
});

t.test('extra events never cancel missing ones', async (t) => {
  const OTHER = 77;
  const log = scan([
    ...Array.from({ length: 8 }, (_, i) => event(i + 1)).flat(), // load 42: 8 of its 10
    ...Array.from({ length: 5 }, (_, i) => event(100 + i, { pid: OTHER })).flat(), // load 77: 5, it made 3
    ...event(200, { pid: 9999 }), // a process no load accounts for
  ], [PID, OTHER]);
  const a = accountEvents({ ...inputs(13, log), generatedByPid: new Map([[PID, 10], [OTHER, 3]]) });
  t.equal(a.logged, 14);
  t.equal(a.unexpected, 3, 'two extra of load 77, one of nobody');
  t.equal(a.silentLoss, 2, 'the two missing of load 42 stay missing');
  const children = scan([`type=SYSCALL msg=${stamp(1)}: arch=c000003e syscall=59 success=yes exit=0 items=2 ppid=${PID} pid=5000 auid=${AUID}`,
    `type=PATH msg=${stamp(1)}: item=0 name="/bin/true"`, `type=PATH msg=${stamp(1)}: item=1 name="/lib64/ld.so"`, `type=PROCTITLE msg=${stamp(1)}: proctitle=74`]);
  t.equal(children.byLoadPid.get(PID), 1, 'a load\'s child is the load\'s');
});

t.test('assertions: loss_max, incomplete_max, unexpected_max, the hwm bound, TAP', async (t) => {
  const log = scan([...event(1), ...event(2, { parts: ['SYSCALL', 'PROCTITLE'] })]);
  const events = accountEvents(inputs(3, log));
  const base = { peakRssBytes: 90 << 20, idleRssBytes: 60 << 20, queueBoundBytes: 16 << 20, slope: null, oomKills: 0, kernelLost: 0, throughputEventsPerSec: 1000, backlogWaitMs: 5, events, daemonDied: null };
  const res = evaluate({ silentLossMax: 1, lossMax: 0, incompleteMax: 0, unexpectedMax: 0 }, base);
  t.match(res.find((a) => a.name === 'no silent loss'), { ok: true, actual: 1 });
  t.match(res.find((a) => a.name === 'events lost (counted or not)'), { ok: false, actual: 1, limit: 0 });
  t.match(res.find((a) => a.name === 'incomplete events'), { ok: false, actual: 1 });
  t.match(res.find((a) => a.name === 'unexpected events'), { ok: true, actual: 0 });
  t.ok(evaluate({ peakRssMax: 'hwm', oomKillsMax: 0, throughputMin: 500 }, base).every((a) => a.ok), 'within idle + hwm + 16 MiB');
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

t.test('incomplete_max: events the kernel cut, or may have cut (records it counted lost), are not the daemon\'s', async (t) => {
  const log = scan([...event(1), ...event(2, { parts: ['SYSCALL', 'CWD', 'PATH'] }), ...event(3, { parts: ['SYSCALL', 'CWD', 'PATH'] }), ...event(4, { parts: ['SYSCALL', 'CWD'] })]);
  const base = { peakRssBytes: 0, idleRssBytes: 0, queueBoundBytes: null, slope: null, oomKills: 0, kernelLost: 0, throughputEventsPerSec: 0, backlogWaitMs: 0, daemonDied: null };
  const judge = (events: ReturnType<typeof accountEvents>, incompleteByKernel: number) =>
    evaluate({ incompleteMax: 0 }, { ...base, events, incompleteByKernel }).find((a) => a.name === 'incomplete events')!;
  t.match(judge(accountEvents(inputs(4, log)), 0), { ok: false, actual: 3 });
  t.match(judge(accountEvents(inputs(4, log)), 1), { ok: false, actual: 2 }, 'one cut by the kernel (its PROCTITLE printed)');
  t.match(judge(accountEvents(inputs(4, log, { kernel: { ...noKernel, lostDelta: 2 } })), 1), { ok: true, actual: 0 }, 'two records counted lost bound the other two');
  // the same lost records cannot explain a missing event and an incomplete one
  t.match(judge(accountEvents(inputs(5, log, { kernel: { ...noKernel, lostDelta: 2 } })), 1), { ok: false, actual: 1 });
});

t.test('lossPhrase: who named each loss, n/a for a daemon without counters, the silent loss as a range when bounded', async (t) => {
  const base = { generated: 100, logged: 60, incomplete: 0, duplicates: 0, unexpected: 0, method: {} };
  const lost = { kernelCounted: 0, kernelDropped: 7, kernelDroppedUnattributed: 0, daemonDropped: 3, daemonNotWritten: 2 };
  t.equal(lossPhrase({ ...base, lost, silentLoss: 28 }),
    'lost by name 12 (kernel 7 by serial, daemon 3+2), silent loss 28');
  t.equal(lossPhrase({ ...base, lost: { ...lost, daemonDropped: null, daemonNotWritten: null, kernelDroppedUnattributed: 20 }, silentLoss: 13, silentLossBound: 33 }),
    'lost by name 7 (kernel 7 by serial, daemon n/a+n/a), silent loss 13..33');
});
