// How much the field daemon could drain, what was offered to it, and what held it back, from the
// field's evidence. The drain is what a reproduction must impose (a slow disk under the log, or a
// slow consumer); the offered load must exceed it, or nothing can run away.
//
// - Bottleneck: the log's disk when the bundle says so (flush = data/sync, a write latency or disk
//   rate in the notes, "slow disk" words), the consumer when it says that (a dispatcher with
//   disp_qos = lossless, "queue to plugins is full", a plugin/client pace in the notes). Figures
//   outweigh words, words outweigh configuration; a flag outweighs all.
// - Drain: with an audit.log excerpt and a daemon that fell behind on its disk, the log's busiest
//   second is what the disk let it write (the log's own rate is the ceiling); without one, the
//   write latency (records per write by flush mode) or the disk rate gives it. A consumer's drain
//   comes from its pace (bytes per read / pause, bytes/s), or a stated default fraction.
// - Offered: a flag, a rate in the notes, the log's peak plus the kernel's lost records on top,
//   the log's peak when the log is complete (the consumer was the slow part), else a stated
//   multiple of the drain. A drain at or above the offered load contradicts the symptom: said, and
//   the offered load is raised to twice the drain.
import { byDefault, fromFile, type Figure } from './evidence.ts';
import type { Bottleneck, DeriveOverrides, Symptom } from './derive.ts';
import type { LogProfile } from './parse-log.ts';
import type { NoteFacts, NoteFigure } from './notes.ts';
import type { Located } from './parse-small.ts';

export interface DrainInputs {
  log: LogProfile | null;
  logSrc: string;
  /** kernel lost records during the excerpt, and the line of the last figure */
  lostDelta: number | null;
  lostWhere: string | null;
  conf: Map<string, Located<string>>;
  notes: NoteFacts;
  overrides: DeriveOverrides;
  kinds: Symptom[];
  recordsPerEvent: number;
  eventBytes: number;
}

export interface DrainModel {
  bottleneck: Figure<Bottleneck>;
  offeredPeakEventsPerSec: Figure<number>;
  drainEventsPerSec: Figure<number>;
  writeLatencyMs: Figure<number | null>;
  diskBytesPerSec: Figure<number | null>;
  consumerBytesPerSec: Figure<number | null>;
  /** 'log': the offered load keeps the log's shape (its mean, bursts); 'steady': a flat load at the offered rate */
  offeredShape: 'log' | 'steady';
  warnings: string[];
}

/** the field daemon writes at least this much faster than it must, to count as keeping up */
export const MIN_OVERLOAD = 1.25;
const DEFAULT_CONSUMER_FRACTION = 0.1;
const DEFAULT_OVERLOAD = 2;

const at = <T>(f: NoteFigure<T>) => `${f.where} ("${f.text}")`;
const r0 = (x: number) => Math.round(x);

export function deriveDrain(i: DrainInputs): DrainModel {
  const warnings: string[] = [];
  const { notes, conf, overrides: o, log } = i;
  const rpe = Math.max(1, i.recordsPerEvent);
  const flush = conf.get('flush');
  const flushV = flush?.value.toLowerCase();
  const lostEventsPerSec = log && i.lostDelta ? i.lostDelta / rpe / Math.max(1, log.bursts.reduce((a, b) => a + b.lengthSec, 0) || log.spanSec) : 0;

  // ---- what held it back ---------------------------------------------------------------------
  const diskEv: string[] = [];
  const consEv: string[] = [];
  let diskScore = 0, consScore = 0;
  if (o.writeLatencyMs !== undefined || o.diskBytesPerSec !== undefined) { diskScore += 100; diskEv.push('flag --write-latency/--write-rate'); }
  for (const f of [...notes.writeLatencyMs, ...notes.diskBytesPerSec]) { diskScore += 10; diskEv.push(`${f.where}: ${f.read}`); }
  for (const f of notes.slowDiskWords) { diskScore += 3; diskEv.push(`${f.where}: "${f.value}"`); }
  if (flushV === 'data' || flushV === 'sync') { diskScore += 2; diskEv.push(`${flush!.where}: flush = ${flush!.value} (every write waits for the disk)`); }
  for (const f of [...notes.consumerBytesPerSec, ...notes.drainEventsPerSec.filter((d) => /plugin|client|consumer|socket|forward|remote|dispatch|audisp|siem|collector/i.test(d.text))]) { consScore += 10; consEv.push(`${f.where}: ${f.read}`); }
  for (const f of notes.pluginQueueFull) { consScore += 5; consEv.push(`${f.where}: ${f.value}`); }
  for (const f of notes.slowConsumerWords) { consScore += 3; consEv.push(`${f.where}: "${f.value}"`); }
  const qos = conf.get('disp_qos');
  if (qos && /lossless/i.test(qos.value)) { consScore += 2; consEv.push(`${qos.where}: disp_qos = lossless (the dispatcher waits for its plugins)`); }
  const disp = conf.get('dispatcher');
  if (disp) { consScore += 1; consEv.push(`${disp.where}: dispatcher = ${disp.value}`); }
  let bottleneck: Figure<Bottleneck>;
  if (o.bottleneck) bottleneck = fromFile(o.bottleneck, 'flag --bottleneck');
  else if (diskScore === 0 && consScore === 0) {
    bottleneck = byDefault<Bottleneck>(flushV === 'none' ? 'consumer' : 'disk', flushV === 'none'
      ? 'nothing in the bundle says what was slow; flush = none does not wait for the disk, so the consumer (default)'
      : `nothing in the bundle says what was slow: the log's disk (default; flush = ${flushV ?? 'incremental_async, the default'} waits for it)`);
  } else if (diskScore >= consScore) bottleneck = fromFile<Bottleneck>('disk', diskEv.slice(0, 3).join('; '), consEv.length ? `outweighs the consumer evidence (${consEv.length} item(s))` : undefined);
  else bottleneck = fromFile<Bottleneck>('consumer', consEv.slice(0, 3).join('; '), diskEv.length ? `outweighs the disk evidence (${diskEv.length} item(s))` : undefined);

  // ---- disk figures --------------------------------------------------------------------------
  const latNote = notes.writeLatencyMs[0];
  let writeLatencyMs: Figure<number | null> = o.writeLatencyMs !== undefined ? fromFile(o.writeLatencyMs, 'flag --write-latency')
    : latNote ? fromFile(latNote.value, latNote.where, `notes: ${latNote.read}${notes.writeLatencyMs.length > 1 ? `; ${notes.writeLatencyMs.length - 1} more latency figure(s), the first is used` : ''}`)
      : byDefault(null, 'no write latency in the bundle');
  const rateNote = notes.diskBytesPerSec[0];
  let diskBytesPerSec: Figure<number | null> = o.diskBytesPerSec !== undefined ? fromFile(o.diskBytesPerSec, 'flag --write-rate')
    : rateNote ? fromFile(rateNote.value, rateNote.where, `notes: ${rateNote.read}`) : byDefault(null, 'no disk write rate in the bundle');
  // records per write the field daemon waited for: auditd writes each record; data/sync wait on
  // every write, incremental on an fsync every freq records
  const freq = Number(conf.get('freq')?.value ?? 50) || 50;
  const recordsPerWait = flushV === 'incremental' || flushV === 'incremental_async' ? freq : 1;
  const consNote = notes.consumerBytesPerSec[0];
  const consumerBytesPerSec: Figure<number | null> = consNote ? fromFile(consNote.value, consNote.where, `notes: ${consNote.read}`) : byDefault(null, 'no consumer pace in the bundle');

  // ---- drain ---------------------------------------------------------------------------------
  const fell = i.kinds.length > 0;
  let drain: Figure<number> | null = null;
  const drainNote = notes.drainEventsPerSec[0];
  const toEvents = (f: NoteFigure<number>) => (f.records ? f.value / rpe : f.value);
  if (o.drainEventsPerSec !== undefined) drain = fromFile(o.drainEventsPerSec, 'flag --drain');
  else if (bottleneck.value === 'disk') {
    const fromLatency = writeLatencyMs.value ? (1000 / writeLatencyMs.value) * recordsPerWait / rpe : null;
    const fromRate = diskBytesPerSec.value ? diskBytesPerSec.value / Math.max(1, i.eventBytes) : null;
    const figures = [fromLatency, fromRate].filter((x): x is number => x !== null);
    if (log && fell && !o.writeLatencyMs && !o.diskBytesPerSec) {
      drain = fromFile(log.peakEventsPerSec, i.logSrc, `the log's busiest second: what the disk let the daemon write (the log's own rate is the ceiling)`);
      const derived = figures.length ? Math.min(...figures) : null;
      if (derived !== null && Math.abs(derived - log.peakEventsPerSec) / log.peakEventsPerSec > 0.5) {
        warnings.push(`the disk figures give ${r0(derived)} events/s (${fromLatency !== null ? `${writeLatencyMs.value} ms per wait, ${recordsPerWait} record(s) per wait at flush = ${flushV ?? 'default'}` : ''}${fromLatency !== null && fromRate !== null ? '; ' : ''}${fromRate !== null ? `${diskBytesPerSec.value} bytes/s at ${r0(i.eventBytes)} bytes/event` : ''}) but the log shows ${r0(log.peakEventsPerSec)} events/s written: the log is used, the latency is applied per write as stated`);
      }
    } else if (figures.length) {
      const v = Math.min(...figures);
      const src = v === fromLatency ? writeLatencyMs : diskBytesPerSec;
      drain = fromFile(v, src.source, v === fromLatency
        ? `${writeLatencyMs.value} ms per wait, ${recordsPerWait} record(s) per wait (flush = ${flushV ?? 'incremental_async'}${recordsPerWait > 1 ? `, freq ${freq}` : ''}), ${rpe.toFixed(1)} records/event`
        : `${diskBytesPerSec.value} bytes/s at ${r0(i.eventBytes)} bytes/event`);
      if (log && v > log.peakEventsPerSec * 1.5 && fell) {
        warnings.push(`the disk figures allow ${r0(v)} events/s, more than the log's busiest second (${r0(log.peakEventsPerSec)}): the log's rate is the ceiling`);
        drain = fromFile(log.peakEventsPerSec, i.logSrc, `the log's busiest second caps the disk figures (${r0(v)} events/s)`);
      }
    }
  } else if (consumerBytesPerSec.value) {
    drain = fromFile(consumerBytesPerSec.value / Math.max(1, i.eventBytes), consumerBytesPerSec.source, `${consumerBytesPerSec.value} bytes/s at ${r0(i.eventBytes)} bytes/event (the plugin gets the log's text)`);
  } else if (drainNote) drain = fromFile(toEvents(drainNote), drainNote.where, `notes: ${drainNote.read}`);

  // ---- offered -------------------------------------------------------------------------------
  const offNote = [...notes.offeredEventsPerSec].sort((a, b) => toEvents(b) - toEvents(a))[0];
  let offered: Figure<number>;
  if (o.offeredEventsPerSec !== undefined) offered = fromFile(o.offeredEventsPerSec, 'flag --rate');
  else if (offNote) offered = fromFile(toEvents(offNote), offNote.where, `notes: ${offNote.read}${notes.offeredEventsPerSec.length > 1 ? ' (the highest rate in the notes)' : ''}`);
  else if (log && lostEventsPerSec > 0) {
    offered = fromFile(log.peakEventsPerSec + lostEventsPerSec, `${i.lostWhere}, ${i.logSrc}`, `the log's busiest second (${r0(log.peakEventsPerSec)} events/s) plus the kernel's lost records (${i.lostDelta} over the bursts, ${r0(lostEventsPerSec)} events/s) offered on top`);
  } else if (log && bottleneck.value === 'consumer') {
    offered = fromFile(log.peakEventsPerSec, i.logSrc, 'the log\'s busiest second: the daemon wrote everything, its consumer fell behind');
  } else if (log && drain && fell) {
    offered = byDefault(drain.value * DEFAULT_OVERLOAD, `the log shows what the daemon drained (${r0(drain.value)} events/s), not what was offered; it fell behind, so ${DEFAULT_OVERLOAD}x that (default; --rate states it)`);
  } else if (log) offered = fromFile(log.peakEventsPerSec, i.logSrc, 'the log\'s busiest second');
  else offered = byDefault(drain ? drain.value * DEFAULT_OVERLOAD : 2000, drain ? `no audit.log and no rate in the notes: ${DEFAULT_OVERLOAD}x the drain (default; --rate states it)` : 'no audit.log excerpt and no rate in the notes: a moderate 2,000 events/s (default; --rate states it)');

  if (!drain) {
    drain = byDefault(offered.value * DEFAULT_CONSUMER_FRACTION, `no figure for how fast the ${bottleneck.value === 'disk' ? 'disk' : 'consumer'} went: a tenth of the offered load (default; --drain${bottleneck.value === 'disk' ? ', --write-rate or --write-latency' : ''} states it)`);
  }
  if (fell && drain.value * MIN_OVERLOAD > offered.value) {
    const was = offered.value;
    if (offered.source.startsWith('flag') || drain.source.startsWith('flag')) {
      warnings.push(`the drain (${r0(drain.value)} events/s, ${drain.source}) is not below the offered load (${r0(was)} events/s, ${offered.source}): as given by flags, nothing can run away`);
    } else {
      offered = fromFile(drain.value * DEFAULT_OVERLOAD, `${offered.source}; ${drain.source}`, `the evidence gives a drain of ${r0(drain.value)} events/s and an offered load of only ${r0(was)}: nothing could run away, yet the field did; offered raised to ${DEFAULT_OVERLOAD}x the drain (--rate or --drain states them)`);
      warnings.push(`offered load raised from ${r0(was)} to ${r0(offered.value)} events/s: the field's figures put the drain (${r0(drain.value)}) at or above it, which contradicts the symptom`);
    }
  }
  if (bottleneck.value === 'disk' && writeLatencyMs.value === null) {
    // per write at the drain: the field daemon waited this long per write to manage its rate
    const perWait = 1000 * recordsPerWait / (drain.value * rpe);
    writeLatencyMs = byDefault(Math.round(perWait * 1000) / 1000, `no latency figure: at ${r0(drain.value)} events/s, ${rpe.toFixed(1)} records/event and ${recordsPerWait} record(s) per wait (flush = ${flushV ?? 'incremental_async'}), each wait took ${perWait.toFixed(2)} ms`);
  }
  if (bottleneck.value === 'disk' && diskBytesPerSec.value === null) {
    diskBytesPerSec = fromFile(Math.round(drain.value * i.eventBytes), drain.source, `the drain (${r0(drain.value)} events/s) x ${r0(i.eventBytes)} bytes/event on disk`);
  }
  if (bottleneck.value === 'consumer') {
    writeLatencyMs = byDefault(null, 'the disk was not the bottleneck');
  }
  const offeredShape = log && (offered.source.startsWith(`${i.lostWhere}, ${i.logSrc}`) || offered.source === i.logSrc) ? 'log' : 'steady';
  return { bottleneck, offeredPeakEventsPerSec: offered, drainEventsPerSec: drain, writeLatencyMs, diskBytesPerSec, consumerBytesPerSec, offeredShape, warnings };
}
