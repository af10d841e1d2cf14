// Read a daemon's audit log(s) once, as a stream, and take the run's events by serial: which were
// logged, which were logged only in part, which were logged twice. Memory is bounded at any
// scale: the serials go into a bitmap (SerialSet), and only a window of recent events is held
// open while their records arrive (a daemon writes an event's records together, give or take
// the few events other CPUs interleave).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { SerialSet } from '../kernel/serial-set.ts';
import { fieldValue } from '../kernel/audit-stamp.ts';
import { isUserMessageType, RecordType } from '../kernel/record-types.ts';
import { ENRICHED, type LogFormat, type LogRecord } from './log-format.ts';

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
  dupRecords: number;
}

const NONE = -1;

/**
 * Completeness, for the records the kernel emits per event (kernel/auditsc.c, audit_log_exit):
 *  - a syscall event is its SYSCALL record (`items=N`), exactly N PATH records (item=0..N-1),
 *    and a PROCTITLE record (always emitted for a syscall event). CWD and the auxiliary records
 *    (EXECVE, SOCKADDR, FD_PAIR, ...) are not announced by the SYSCALL record, so their absence
 *    cannot be told from their not being due; EOE is not written by auditd.
 *  - a user-range event is its one record.
 */
function missingOf(ev: OpenEvent): Record<string, number> | null {
  if (!ev.syscall) return null;
  const out: Record<string, number> = {};
  const pathsDue = ev.items > 0 ? ev.items : 0;
  let pathsSeen = ev.paths;
  if (pathsDue > 0 && pathsDue < 32) pathsSeen = popcount(ev.pathBits);
  if (pathsSeen < pathsDue) out.PATH = pathsDue - pathsSeen;
  if (ev.proctitle === 0) out.PROCTITLE = 1;
  return Object.keys(out).length ? out : null;
}

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
  readonly out: LogScan;

  constructor(o: LogScanOptions) {
    this.auidText = String(o.auid);
    this.format = o.format ?? ENRICHED;
    this.loadPids = new Set(o.loadPids ?? []);
    this.window = o.window ?? 4096;
    this.order = new Float64Array(this.window + 2);
    this.out = {
      events: 0, complete: 0, incomplete: 0, incompleteSerials: new SerialSet(), missingRecords: {}, duplicates: 0, duplicateRecords: 0,
      serials: new SerialSet(), byLoadPid: new Map(), lateRecords: 0, lossNotices: 0, malformedLines: 0,
      byType: {}, perSecond: new Map(), lines: 0,
    };
  }

  line(line: string): void {
    this.out.lines++;
    if (!line) return;
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
    if (r.type === 'DAEMON_ERR' && /lost|dropp/i.test(r.body.slice(0, 400))) this.out.lossNotices++;
    let ev = this.open.get(r.serial);
    if (!ev) {
      if (this.judged.has(r.serial)) {
        this.late(r);
        return;
      }
      ev = { sec: r.sec, syscall: 0, user: false, login: false, ours: false, pid: NONE, ppid: NONE, items: 0, pathBits: 0, paths: 0, proctitle: 0, cwd: 0, dupRecords: 0 };
      this.open.set(r.serial, ev);
      this.order[this.tail] = r.serial;
      this.tail = (this.tail + 1) % this.order.length;
      if (this.open.size > this.window) this.judgeOldest();
    }
    const t = r.typeNumber;
    if (t === RecordType.SYSCALL) {
      if (ev.syscall++) ev.dupRecords++;
      else {
        this.claim(ev, r.body);
        ev.ppid = intField(r.body, 'ppid');
        const items = intField(r.body, 'items');
        ev.items = items > 0 ? items : 0;
      }
    } else if (t === RecordType.PATH) {
      const item = intField(r.body, 'item');
      if (item >= 0 && item < 32) {
        const bit = 1 << item;
        if (ev.pathBits & bit) ev.dupRecords++;
        ev.pathBits |= bit;
      }
      ev.paths++;
    } else if (t === RecordType.PROCTITLE) {
      if (ev.proctitle++) ev.dupRecords++;
    } else if (t === RecordType.CWD) {
      if (ev.cwd++) ev.dupRecords++;
    } else if (t === 1006 /* LOGIN */) {
      ev.login = true;
    } else if (t !== null && isUserMessageType(t)) {
      if (ev.user) ev.dupRecords++;
      ev.user = true;
      this.claim(ev, r.body);
    }
    // records after the event's SYSCALL (the kernel emits it first); LOGIN events included
    if (ev.ours) this.out.byType[r.type] = (this.out.byType[r.type] ?? 0) + 1;
  }

  /** All lines read: judge what is still open. */
  finish(): LogScan {
    while (this.open.size) this.judgeOldest();
    return this.out;
  }

  private claim(ev: OpenEvent, body: string): void {
    if (fieldValue(body, 'auid') === this.auidText) ev.ours = true;
    ev.pid = intField(body, 'pid');
  }

  private late(r: LogRecord): void {
    // A SYSCALL (or user record) of a judged event is that event written again; anything else
    // arrived too far from its event to be judged with it.
    if (r.typeNumber === RecordType.SYSCALL || (r.typeNumber !== null && isUserMessageType(r.typeNumber))) {
      if (this.out.serials.has(r.serial)) {
        this.out.duplicateRecords++;
        if (this.dupSerials.add(r.serial)) this.out.duplicates++;
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
    if (!ev.ours || ev.login) return;
    const o = this.out;
    o.serials.add(serial);
    o.events++;
    if (ev.dupRecords) {
      o.duplicateRecords += ev.dupRecords;
      if (this.dupSerials.add(serial)) o.duplicates++;
    }
    const missing = missingOf(ev);
    if (missing) {
      o.incomplete++;
      o.incompleteSerials.add(serial);
      for (const [k, v] of Object.entries(missing)) o.missingRecords[k] = (o.missingRecords[k] ?? 0) + v;
    } else {
      o.complete++;
    }
    const owner = this.loadPids.has(ev.pid) ? ev.pid : this.loadPids.has(ev.ppid) ? ev.ppid : -1;
    o.byLoadPid.set(owner, (o.byLoadPid.get(owner) ?? 0) + 1);
    o.perSecond.set(ev.sec, (o.perSecond.get(ev.sec) ?? 0) + 1);
  }
}

function intField(body: string, key: string): number {
  const v = fieldValue(body, key);
  if (v === null) return NONE;
  const n = Number(v);
  return Number.isInteger(n) ? n : NONE;
}

/** Stream the log files (oldest first) once and scan them. */
export async function scanLogFiles(files: string[], o: LogScanOptions): Promise<LogScan> {
  const scanner = new LogScanner(o);
  for (const file of files) {
    const rl = createInterface({ input: createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
    for await (const line of rl) scanner.line(line);
  }
  return scanner.finish();
}
