// Read a daemon's audit log(s) once, as a stream, and take the run's events by serial: which were
// logged, which were logged only in part, which were logged twice. Memory is bounded at any
// scale: the serials go into a bitmap (SerialSet), and only a window of recent events is held
// open while their records arrive (a daemon writes an event's records together, give or take
// the few events other CPUs interleave). The lines of a RAW or ENRICHED log are read from the
// read stream's bytes in place: at hundreds of millions of lines, a string per line (and per
// field) is what the harness's memory would go to (V8's young generation), not the counts.
import { createReadStream } from 'node:fs';
import { SerialSet } from '../kernel/serial-set.ts';
import { fieldValue, fieldValueEnd, fieldValueStart } from '../kernel/audit-stamp.ts';
import { isUserMessageType, RecordType } from '../kernel/record-types.ts';
import { ENRICHED, rawRecordView, readRawBytes, type LogFormat, type LogRecord } from './log-format.ts';

export interface LogScanOptions {
  auid: number;
  format?: LogFormat;
  /** the load processes' pids: events are attributed to a load by pid, or by ppid for the
   *  children a load spawns (fork-exec); omit to attribute nothing */
  loadPids?: Iterable<number>;
  /** open events held before the oldest is judged (default 4096) */
  window?: number;
}

export interface LogScan {
  /** distinct serials of the run's events: a SYSCALL or user-range record with the run's auid
   *  (the event in which a load set its auid, with its LOGIN record, is the harness's, not counted) */
  events: number;
  /** of those, events with every record the kernel emits for them (see completeness below) */
  complete: number;
  incomplete: number;
  /** the incomplete events, by serial */
  incompleteSerials: SerialSet;
  /** for the incomplete events, the records missing, by type name (PATH counts each item) */
  missingRecords: Record<string, number>;
  /** events of the run with some record written more than once */
  duplicates: number;
  /** record lines that repeated a record already written for the same event */
  duplicateRecords: number;
  /** the run's events, by serial */
  serials: SerialSet;
  /** logged events by the load pid they belong to (-1: no load's) */
  byLoadPid: Map<number, number>;
  /** records of an event already judged (arrived more than `window` events late); not counted */
  lateRecords: number;
  /** loss records the daemon wrote about itself (DAEMON_ERR mentioning lost/dropped) */
  lossNotices: number;
  /** lines the format does not read as an audit record */
  malformedLines: number;
  /** records by type name, of the run's events (from their SYSCALL or user record on) */
  byType: Record<string, number>;
  /** the run's events per second of their timestamps, for the report */
  perSecond: Map<number, number>;
  lines: number;
}

interface OpenEvent {
  sec: number;
  /** SYSCALL records seen */
  syscall: number;
  user: boolean;
  login: boolean;
  ours: boolean;
  pid: number;
  ppid: number;
  /** `items=` of the SYSCALL: the PATH records the kernel emits for it */
  items: number;
  /** PATH item numbers seen (bit i: item=i, for items < 32), and how many PATH records */
  pathBits: number;
  paths: number;
  proctitle: number;
  cwd: number;
  /** a PATH record of the event names a path (its name is not `(null)`) */
  named: boolean;
  dupRecords: number;
}

const NONE = -1;

/**
 * Completeness, for the records the kernel emits per event (kernel/auditsc.c, audit_log_exit):
 *  - a syscall event is its SYSCALL record (`items=N`), exactly N PATH records (item=0..N-1),
 *    and a PROCTITLE record (always emitted for a syscall event);
 *  - and a CWD record when a PATH record names a path: the kernel logs CWD whenever it took the
 *    task's working directory for the event, which it does for every name it records (in
 *    `audit_alloc_name` on 6.x kernels, in `__audit_getname` for a name copied from user space on
 *    older ones). A PATH with `name=(null)` alone may come without one, so it asks for none.
 *    The auxiliary records (EXECVE, SOCKADDR, FD_PAIR, ...) are not announced by any record, so
 *    their absence cannot be told from their not being due; EOE is not written by auditd.
 *  - a user-range event is its one record.
 */
function missingPaths(ev: OpenEvent): number {
  if (!ev.syscall) return 0;
  const pathsDue = ev.items > 0 ? ev.items : 0;
  let pathsSeen = ev.paths;
  if (pathsDue > 0 && pathsDue < 32) pathsSeen = popcount(ev.pathBits);
  return pathsSeen < pathsDue ? pathsDue - pathsSeen : 0;
}

function missingProctitle(ev: OpenEvent): number {
  return ev.syscall && ev.proctitle === 0 ? 1 : 0;
}

function missingCwd(ev: OpenEvent): number {
  return ev.syscall && ev.named && ev.cwd === 0 ? 1 : 0;
}

/** A record's fields, read by key: from its text, or in place from the log's bytes. */
interface Fields {
  int(key: Key): number;
  /** the value of `key` is exactly `text` */
  is(key: Key, text: string): boolean;
  /** the record has the field `key`, with a value other than `text` */
  isOther(key: Key, text: string): boolean;
  /** the fields as text (made only where one is needed: rare records) */
  text(): string;
}

interface Key { name: string; needle: Uint8Array }
const key = (name: string): Key => ({ name, needle: Buffer.from(`${name}=`) });
const AUID = key('auid'), PID = key('pid'), PPID = key('ppid'), ITEMS = key('items'), ITEM = key('item'), NAME = key('name');

class TextFields implements Fields {
  body = '';
  int(k: Key): number { return intValue(fieldValue(this.body, k.name)); }
  is(k: Key, text: string): boolean { return fieldValue(this.body, k.name) === text; }
  isOther(k: Key, text: string): boolean {
    const v = fieldValue(this.body, k.name);
    return v !== null && v !== text;
  }
  text(): string { return this.body; }
}

class ByteFields implements Fields {
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  int(k: Key): number {
    const s = fieldValueStart(this.buf, this.start, this.end, k.needle);
    if (s < 0) return NONE;
    const e = fieldValueEnd(this.buf, s, this.end);
    // plain decimal of up to 15 digits is what a log holds; anything else (empty, signed, hex,
    // huge) is decoded and read as the text form reads it, so the two agree
    if (e > s && e - s <= 15) {
      let v = 0, i = s;
      for (; i < e; i++) {
        const c = this.buf[i]!;
        if (c < 0x30 || c > 0x39) break;
        v = v * 10 + c - 0x30;
      }
      if (i === e) return v;
    }
    return intValue(decode(this.buf, s, e));
  }
  is(k: Key, text: string): boolean {
    const s = fieldValueStart(this.buf, this.start, this.end, k.needle);
    return s >= 0 && this.valueIs(s, text);
  }
  isOther(k: Key, text: string): boolean {
    const s = fieldValueStart(this.buf, this.start, this.end, k.needle);
    return s >= 0 && !this.valueIs(s, text);
  }
  /** the value starting at byte s is exactly `text` */
  private valueIs(s: number, text: string): boolean {
    const e = fieldValueEnd(this.buf, s, this.end);
    // bytes of other text never decode to ASCII text, so ASCII text is compared byte for byte
    if (!/^[\x00-\x7f]*$/.test(text)) return decode(this.buf, s, e) === text;
    if (e - s !== text.length) return false;
    for (let i = 0; i < text.length; i++) if (this.buf[s + i] !== text.charCodeAt(i)) return false;
    return true;
  }
  text(): string { return decode(this.buf, this.start, this.end); }
}

function decode(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8');
}

const LF = 0x0a, CR = 0x0d;

function popcount(v: number): number {
  let n = 0;
  while (v) { v &= v - 1; n++; }
  return n;
}

export class LogScanner {
  private readonly open = new Map<number, OpenEvent>();
  /** the open serials in arrival order, a ring (a Map's oldest entry is slow to reach once many
   *  entries before it were deleted) */
  private readonly order: Float64Array;
  private head = 0;
  private tail = 0;
  /** serials of every event already judged (any auid), to tell a late SYSCALL from a new one */
  private readonly judged = new SerialSet();
  private readonly dupSerials = new SerialSet();
  private readonly auidText: string;
  private readonly format: LogFormat;
  private readonly loadPids: Set<number>;
  private readonly window: number;
  /** events already judged, for reuse: one object per open slot, not per event */
  private readonly spare: OpenEvent[] = [];
  private readonly textFields = new TextFields();
  private readonly byteFields = new ByteFields();
  private readonly view = rawRecordView();
  /** the format's RAW layout, when its lines can be read from bytes */
  private readonly cutAtGS: boolean | null;
  /** a line begun in one chunk of bytes and not yet ended */
  private carry = Buffer.allocUnsafe(1 << 16);
  private carryLength = 0;
  /** a chunk ended in CR: a LF opening the next one ends no line (CRLF split across chunks) */
  private afterCR = false;
  readonly out: LogScan;

  constructor(o: LogScanOptions) {
    this.auidText = String(o.auid);
    this.format = o.format ?? ENRICHED;
    this.cutAtGS = this.format.rawLayout ? this.format.rawLayout.cutAtGS : null;
    this.loadPids = new Set(o.loadPids ?? []);
    this.window = o.window ?? 4096;
    this.order = new Float64Array(this.window + 2);
    this.out = {
      events: 0, complete: 0, incomplete: 0, incompleteSerials: new SerialSet(), missingRecords: {}, duplicates: 0, duplicateRecords: 0,
      serials: new SerialSet(), byLoadPid: new Map(), lateRecords: 0, lossNotices: 0, malformedLines: 0,
      byType: {}, perSecond: new Map(), lines: 0,
    };
  }

  /** One line, as text (without its newline). */
  line(line: string): void {
    this.out.lines++;
    if (!line) return;
    this.parsed(line);
  }

  /**
   * A chunk of a log file's bytes, as read: lines end at LF, CRLF or a lone CR (as node:readline
   * splits them), and may run across chunks. Call endOfFile() after a file's last chunk.
   */
  bytes(chunk: Buffer): void {
    const n = chunk.length;
    let pos = 0;
    if (this.afterCR && n > 0) {
      this.afterCR = false;
      if (chunk[0] === LF) pos = 1;
    }
    const hasCR = chunk.indexOf(CR, pos) >= 0;
    while (pos < n) {
      let e: number;
      let next: number;
      if (!hasCR) {
        e = chunk.indexOf(LF, pos);
        next = e + 1;
      } else {
        e = pos;
        while (e < n && chunk[e] !== LF && chunk[e] !== CR) e++;
        if (e === n) e = -1;
        next = e + 1;
        if (e >= 0 && chunk[e] === CR) {
          if (e + 1 < n) { if (chunk[e + 1] === LF) next = e + 2; } else this.afterCR = true;
        }
      }
      if (e < 0) {
        this.carryBytes(chunk, pos, n);
        return;
      }
      if (this.carryLength) {
        this.carryBytes(chunk, pos, e);
        this.lineBytes(this.carry, 0, this.carryLength);
        this.carryLength = 0;
      } else {
        this.lineBytes(chunk, pos, e);
      }
      pos = next;
    }
  }

  /** The file's bytes are all given: a last line without its newline is a line. */
  endOfFile(): void {
    if (this.carryLength) this.lineBytes(this.carry, 0, this.carryLength);
    this.carryLength = 0;
    this.afterCR = false;
  }

  private carryBytes(chunk: Buffer, start: number, end: number): void {
    const need = this.carryLength + end - start;
    if (need > this.carry.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.carry.length * 2));
      this.carry.copy(grown, 0, 0, this.carryLength);
      this.carry = grown;
    }
    chunk.copy(this.carry, this.carryLength, start, end);
    this.carryLength = need;
  }

  private lineBytes(buf: Buffer, start: number, end: number): void {
    this.out.lines++;
    if (start === end) return;
    if (this.cutAtGS !== null && readRawBytes(buf, start, end, this.cutAtGS, this.view)) {
      const v = this.view, f = this.byteFields;
      f.buf = v.buf;
      f.start = v.bodyStart;
      f.end = v.bodyEnd;
      this.take(v.type, v.typeNumber, v.sec, v.serial, f);
      return;
    }
    this.parsed(buf.toString('utf8', start, end));
  }

  private parsed(line: string): void {
    const r = this.format.parse(line);
    if (!r || (Array.isArray(r) && r.length === 0)) {
      this.out.malformedLines++;
      return;
    }
    // a format may read a whole event from one line (JSON lines with the event's records)
    if (Array.isArray(r)) for (const x of r) this.record(x);
    else this.record(r);
  }

  record(r: LogRecord): void {
    this.textFields.body = r.body;
    this.take(r.type, r.typeNumber, r.sec, r.serial, this.textFields);
  }

  private take(type: string, t: number | null, sec: number, serial: number, fields: Fields): void {
    if (type === 'DAEMON_ERR' && /lost|dropp/i.test(fields.text().slice(0, 400))) this.out.lossNotices++;
    let ev = this.open.get(serial);
    if (!ev) {
      if (this.judged.has(serial)) {
        this.late(t, serial);
        return;
      }
      ev = this.spare.pop() ?? { sec: 0, syscall: 0, user: false, login: false, ours: false, pid: NONE, ppid: NONE, items: 0, pathBits: 0, paths: 0, proctitle: 0, cwd: 0, named: false, dupRecords: 0 };
      ev.sec = sec; ev.syscall = 0; ev.user = false; ev.login = false; ev.ours = false; ev.pid = NONE; ev.ppid = NONE;
      ev.items = 0; ev.pathBits = 0; ev.paths = 0; ev.proctitle = 0; ev.cwd = 0; ev.named = false; ev.dupRecords = 0;
      this.open.set(serial, ev);
      this.order[this.tail] = serial;
      this.tail = (this.tail + 1) % this.order.length;
      if (this.open.size > this.window) this.judgeOldest();
    }
    if (t === RecordType.SYSCALL) {
      if (ev.syscall++) ev.dupRecords++;
      else {
        this.claim(ev, fields);
        ev.ppid = fields.int(PPID);
        const items = fields.int(ITEMS);
        ev.items = items > 0 ? items : 0;
      }
    } else if (t === RecordType.PATH) {
      const item = fields.int(ITEM);
      if (item >= 0 && item < 32) {
        const bit = 1 << item;
        if (ev.pathBits & bit) ev.dupRecords++;
        ev.pathBits |= bit;
      }
      ev.paths++;
      if (!ev.named && fields.isOther(NAME, '(null)')) ev.named = true;
    } else if (t === RecordType.PROCTITLE) {
      if (ev.proctitle++) ev.dupRecords++;
    } else if (t === RecordType.CWD) {
      if (ev.cwd++) ev.dupRecords++;
    } else if (t === 1006 /* LOGIN */) {
      ev.login = true;
    } else if (t !== null && isUserMessageType(t)) {
      if (ev.user) ev.dupRecords++;
      ev.user = true;
      this.claim(ev, fields);
    }
    // records after the event's SYSCALL (the kernel emits it first); LOGIN events included
    if (ev.ours) this.out.byType[type] = (this.out.byType[type] ?? 0) + 1;
  }

  /** All lines read: judge what is still open. */
  finish(): LogScan {
    while (this.open.size) this.judgeOldest();
    return this.out;
  }

  private claim(ev: OpenEvent, fields: Fields): void {
    if (fields.is(AUID, this.auidText)) ev.ours = true;
    ev.pid = fields.int(PID);
  }

  private late(t: number | null, serial: number): void {
    // A SYSCALL (or user record) of a judged event is that event written again; anything else
    // arrived too far from its event to be judged with it.
    if (t === RecordType.SYSCALL || (t !== null && isUserMessageType(t))) {
      if (this.out.serials.has(serial)) {
        this.out.duplicateRecords++;
        if (this.dupSerials.add(serial)) this.out.duplicates++;
      }
      return;
    }
    this.out.lateRecords++;
  }

  private judgeOldest(): void {
    const serial = this.order[this.head]!;
    this.head = (this.head + 1) % this.order.length;
    const ev = this.open.get(serial)!;
    this.open.delete(serial);
    this.judged.add(serial);
    this.spare.push(ev);
    if (!ev.ours || ev.login) return;
    const o = this.out;
    o.serials.add(serial);
    o.events++;
    if (ev.dupRecords) {
      o.duplicateRecords += ev.dupRecords;
      if (this.dupSerials.add(serial)) o.duplicates++;
    }
    const paths = missingPaths(ev), proctitle = missingProctitle(ev), cwd = missingCwd(ev);
    if (paths || proctitle || cwd) {
      o.incomplete++;
      o.incompleteSerials.add(serial);
      if (paths) o.missingRecords.PATH = (o.missingRecords.PATH ?? 0) + paths;
      if (proctitle) o.missingRecords.PROCTITLE = (o.missingRecords.PROCTITLE ?? 0) + proctitle;
      if (cwd) o.missingRecords.CWD = (o.missingRecords.CWD ?? 0) + cwd;
    } else {
      o.complete++;
    }
    const owner = this.loadPids.has(ev.pid) ? ev.pid : this.loadPids.has(ev.ppid) ? ev.ppid : -1;
    o.byLoadPid.set(owner, (o.byLoadPid.get(owner) ?? 0) + 1);
    o.perSecond.set(ev.sec, (o.perSecond.get(ev.sec) ?? 0) + 1);
  }
}

function intValue(v: string | null): number {
  if (v === null) return NONE;
  const n = Number(v);
  return Number.isInteger(n) ? n : NONE;
}

/** Stream the log files (oldest first) once and scan them. */
export async function scanLogFiles(files: string[], o: LogScanOptions): Promise<LogScan> {
  const scanner = new LogScanner(o);
  for (const file of files) {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) scanner.bytes(chunk as Buffer);
    scanner.endOfFile();
  }
  return scanner.finish();
}
