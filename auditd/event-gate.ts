// Whole-event decisions for the input thread, and distinct-event counting for the output side.
//
// An audit event is every record with one serial (`audit(SEC.MSEC:SERIAL): ...`); a syscall
// event is SYSCALL, CWD, PATH..., PROCTITLE, then EOE; many events are a single record with no
// EOE (USER_*, LOGIN, CONFIG_CHANGE). A queue policy that drops must drop whole events: it
// decides at an event's first record, and the event's later records follow that decision even
// when the queue has room again (or, for an admitted event, none left). EOE closes the event.
//
// The state is bounded: at most `maxOpen` serials are remembered; past that the oldest goes (the
// kernel queues an event's records back to back, so an event still open 4096 events later does
// not happen in practice; if it did, its later records would get a decision of their own).
// Pure logic, no I/O: unit-tested without a kernel.

const A = 0x61; // a
const COLON = 0x3a;
const DOT = 0x2e;
const LPAREN = 0x28;
const RPAREN = 0x29;
/** `audit(` + at most 20 digits of seconds + `.` + 3 of ms + `:`: the serial starts by byte 40 */
const SCAN = 48;

/** does the text buf[start, end) open with a stamp, `audit(`? (its first and sixth bytes) */
const stamped = (buf: Uint8Array, start: number, end: number): boolean =>
  end - start >= 10 && buf[start] === A && buf[start + 5] === LPAREN;

/**
 * The serial of a record whose text is buf[start, end): the number after the `:` in the leading
 * `audit(SEC.MSEC:SERIAL)`. -1 when the text does not start that way.
 */
export function serialOf(buf: Uint8Array, start: number, end: number): number {
  if (!stamped(buf, start, end)) return -1;
  const lim = Math.min(end, start + SCAN);
  let i = start + 6;
  while (i < lim && buf[i] !== COLON) i++;
  if (i >= lim) return -1;
  i++;
  let n = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = buf[i];
    if (c === RPAREN) return digits > 0 ? n : -1;
    if (c < 0x30 || c > 0x39 || ++digits > 15) return -1;
    n = n * 10 + (c - 0x30);
  }
  return -1;
}

/**
 * The event time of a record whose text is buf[start, end), in ms since the epoch: the
 * `SEC.MSEC` of its leading `audit(SEC.MSEC:SERIAL)`. The kernel stamps an event with its coarse
 * clock (one tick: 4 ms at HZ=250) when the syscall starts. -1 when the text does not start that way.
 */
export function stampMsOf(buf: Uint8Array, start: number, end: number): number {
  if (!stamped(buf, start, end)) return -1;
  const lim = Math.min(end, start + SCAN);
  let sec = 0;
  let i = start + 6;
  for (; i < lim && buf[i] !== DOT; i++) {
    const c = buf[i];
    if (c < 0x30 || c > 0x39 || i - start > 6 + 15) return -1;
    sec = sec * 10 + (c - 0x30);
  }
  if (i === start + 6 || i + 4 >= lim || buf[i + 4] !== COLON) return -1;
  let ms = 0;
  for (let k = i + 1; k < i + 4; k++) {
    const c = buf[k];
    if (c < 0x30 || c > 0x39) return -1;
    ms = ms * 10 + (c - 0x30);
  }
  return sec * 1000 + ms;
}

/** What the gate decided for one record (bit 1: admitted, bit 2: the record opened its event). */
export const Gate = {
  ADMIT: 1,
  ADMIT_NEW: 3,
  DROP: 0,
  DROP_NEW: 2,
} as const;
export type GateResult = (typeof Gate)[keyof typeof Gate];

export const isAdmitted = (g: GateResult): boolean => (g & 1) === 1;
export const isNewEvent = (g: GateResult): boolean => (g & 2) === 2;

/** Per-serial admit/drop state, bounded. */
export class EventGate {
  private readonly open = new Map<number, boolean>();

  constructor(private readonly maxOpen = 4096) {}

  /**
   * One record of event `serial` (-1: no serial, a one-record event). `room`: may a NEW event be
   * admitted now? Ignored for a record of an event already decided. `eoe`: the record closes it.
   */
  decide(serial: number, eoe: boolean, room: boolean): GateResult {
    if (serial < 0) return room ? Gate.ADMIT_NEW : Gate.DROP_NEW;
    const known = this.open.get(serial);
    if (known !== undefined) {
      if (eoe) this.open.delete(serial);
      return known ? Gate.ADMIT : Gate.DROP;
    }
    if (!eoe) {
      if (this.open.size >= this.maxOpen) this.open.delete(this.open.keys().next().value as number);
      this.open.set(serial, room);
    }
    return room ? Gate.ADMIT_NEW : Gate.DROP_NEW;
  }

  /** events remembered right now (for tests and stats) */
  get size(): number {
    return this.open.size;
  }
}

/** Counts distinct serials seen, remembering the last `memory` of them (a bounded "seen" set). */
export class DistinctEvents {
  private readonly seen = new Set<number>();
  count = 0;

  constructor(private readonly memory = 4096) {}

  /** Note one record's serial; true when it is an event not counted before. */
  note(serial: number): boolean {
    if (serial < 0) {
      this.count++;
      return true;
    }
    if (this.seen.has(serial)) return false;
    if (this.seen.size >= this.memory) this.seen.delete(this.seen.values().next().value as number);
    this.seen.add(serial);
    this.count++;
    return true;
  }
}

const EOE = 1320;

/**
 * After a log write: note the events of the records that were not written. The writer writes a
 * batch's loggable records (all but EOE) in order and reports how many made it, so the first
 * `written` loggable records are in the log and the rest are not.
 */
export function noteNotWritten(records: readonly { type: number; text: Uint8Array }[], written: number, into: DistinctEvents): void {
  let skip = written;
  for (const r of records) {
    if (r.type === EOE) continue;
    if (skip > 0) { skip--; continue; }
    into.note(serialOf(r.text, 0, r.text.length));
  }
}
