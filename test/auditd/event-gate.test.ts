import t from 'tap';
import { DistinctEvents, EventGate, Gate, noteNotWritten, serialOf, stampMsOf } from '../../auditd/event-gate.ts';

const b = (s: string) => Buffer.from(s, 'latin1');
const rec = (serial: number | string) => b(`audit(1764583200.123:${serial}): arch=c000003e syscall=257`);

t.test('serialOf reads the serial of audit(SEC.MSEC:SERIAL)', async (t) => {
  t.equal(serialOf(rec(42), 0, rec(42).length), 42);
  t.equal(serialOf(rec(9007199254740), 0, 60), 9007199254740);
  const padded = Buffer.concat([b('xxxx'), rec(7)]);
  t.equal(serialOf(padded, 4, padded.length), 7, 'at an offset');
  t.equal(serialOf(b('audit(1764583200.123:): x'), 0, 25), -1, 'no digits');
  t.equal(serialOf(b('audit(1764583200.123:12x): x'), 0, 27), -1, 'not a number');
  t.equal(serialOf(b('hello world, no serial here'), 0, 27), -1);
  t.equal(serialOf(rec(42), 0, 22), -1, 'cut before the closing paren');
});

t.test('stampMsOf reads the event time of audit(SEC.MSEC:SERIAL) in ms', async (t) => {
  t.equal(stampMsOf(rec(42), 0, rec(42).length), 1764583200123);
  const padded = Buffer.concat([b('xxxx'), rec(7)]);
  t.equal(stampMsOf(padded, 4, padded.length), 1764583200123, 'at an offset');
  t.equal(stampMsOf(b('audit(1764583200.003:1): x'), 0, 25), 1764583200003, 'leading zeros of the ms');
  t.equal(stampMsOf(b('audit(.123:1): x'), 0, 16), -1, 'no seconds');
  t.equal(stampMsOf(b('audit(1764583200.12:1): x'), 0, 24), -1, 'two digits of ms');
  t.equal(stampMsOf(b('audit(17645x3200.123:1): x'), 0, 26), -1, 'not a number');
  t.equal(stampMsOf(b('hello world, no stamp here'), 0, 26), -1);
  t.equal(stampMsOf(rec(42), 0, 20), -1, 'cut inside the stamp');
});

t.test('a whole event follows the decision at its first record', async (t) => {
  const g = new EventGate();
  t.equal(g.decide(10, false, false), Gate.DROP_NEW, 'SYSCALL of 10: no room, dropped, a new event');
  t.equal(g.decide(10, false, true), Gate.DROP, 'CWD of 10: room again, still dropped');
  t.equal(g.decide(11, false, true), Gate.ADMIT_NEW, 'event 11 admitted');
  t.equal(g.decide(11, false, false), Gate.ADMIT, 'PATH of 11: no room now, admitted anyway');
  t.equal(g.decide(10, true, true), Gate.DROP, 'EOE of 10 dropped with it');
  t.equal(g.size, 1, 'EOE closed 10');
  t.equal(g.decide(11, true, false), Gate.ADMIT, 'EOE of 11 admitted');
  t.equal(g.size, 0);
  t.equal(g.decide(-1, false, true), Gate.ADMIT_NEW, 'no serial: a one-record event');
  t.equal(g.decide(-1, false, false), Gate.DROP_NEW);
  t.equal(g.size, 0, 'nothing remembered for records without a serial');
  t.equal(g.decide(12, true, false), Gate.DROP_NEW, 'a lone EOE is an event of its own and not remembered');
  t.equal(g.size, 0);
});

t.test('the per-serial state stays bounded', async (t) => {
  const g = new EventGate(100);
  for (let s = 0; s < 10000; s++) g.decide(s, false, s % 2 === 0); // one-record events never close
  t.equal(g.size, 100, 'at most maxOpen serials');
  t.equal(g.decide(9999, false, true), Gate.DROP, 'a recent one keeps its decision');
  t.equal(g.decide(5, false, true), Gate.ADMIT_NEW, 'an old one was forgotten: decided afresh');
});

t.test('distinct events not written, from a partly written batch', async (t) => {
  const recs = [
    { type: 1300, text: rec(1) }, { type: 1307, text: rec(1) }, { type: 1320, text: rec(1) },
    { type: 1300, text: rec(2) }, { type: 1307, text: rec(2) }, { type: 1320, text: rec(2) },
    { type: 1100, text: rec(3) },
  ];
  const d = new DistinctEvents();
  noteNotWritten(recs, 3, d);
  t.equal(d.count, 2, 'first 3 loggable records written (event 1, SYSCALL of 2): events 2 and 3 not (fully) written');
  noteNotWritten(recs.slice(4), 0, d);
  t.equal(d.count, 2, 'the rest of event 2 in the next batch is not counted again');
  const all = new DistinctEvents();
  noteNotWritten(recs, 0, all);
  t.equal(all.count, 3);
});
