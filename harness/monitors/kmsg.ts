// Kernel messages from /dev/kmsg: audit's complaints (backlog limit exceeded, audit_lost=,
// kauditd queue overflows) and the OOM killer's victims.
//
// An event source, not a sampled value: every record becomes an event as it arrives. The device
// is opened non-blocking and drained on each poll() (the Sampler polls it on its tick; start()
// runs a timer for standalone use). A blocking read would park a libuv threadpool thread on the
// device for the whole run and could not be cancelled at exit, and Node cannot epoll a
// character device, so a non-blocking drain at 10 Hz is the cheap, exact way.
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { readAuditStamp } from '../kernel/audit-stamp.ts';

export type KmsgEvent =
  | { kind: 'backlog-limit'; monoUs: number; text: string }
  | { kind: 'rate-limit'; monoUs: number; text: string }
  | { kind: 'lost'; monoUs: number; lost: number; rateLimit: number; backlogLimit: number; text: string }
  | { kind: 'hold-queue-overflow'; monoUs: number; text: string }
  | { kind: 'retry-queue-overflow'; monoUs: number; text: string }
  /** printk rate limiting hid `count` more messages of `source` (e.g. audit_log_lost) */
  | { kind: 'suppressed'; monoUs: number; source: string; count: number; text: string }
  | {
    kind: 'oom-kill'; monoUs: number; pid: number; name: string;
    /** memcg path the kernel names (`/auditstorm-<id>`), null for a global OOM without it */
    memcg: string | null;
    constraint: string | null;
    /** true: "Memory cgroup out of memory" (a cgroup limit), false: the whole machine */
    cgroupOom: boolean;
    anonRssKiB: number | null;
    oomScoreAdj: number | null;
    text: string;
  };

export type KmsgEventKind = KmsgEvent['kind'];

/** An audit record kauditd printed to the kernel log (`audit: type=N audit(SEC.MSEC:SERIAL): fields`):
 *  a record it is about to drop (or hold, on a kernel booted with audit=1), or had no daemon for. */
export interface PrintedAuditRecord {
  type: number;
  sec: number;
  serial: number;
  body: string;
}

export type PrintedAuditListener = (r: PrintedAuditRecord) => void;

export interface KmsgRecord {
  priority: number;
  seq: number;
  monoUs: number;
  message: string;
}

/** One /dev/kmsg record: `prio,seq,usec,flags[,...];message\n[ KEY=value\n...]`. */
export function parseKmsgRecord(raw: string): KmsgRecord | null {
  const semi = raw.indexOf(';');
  if (semi < 0) return null;
  const [prio, seq, usec] = raw.slice(0, semi).split(',');
  const nl = raw.indexOf('\n', semi);
  // The kernel escapes non-printable bytes as \xNN; names in our patterns never contain them.
  const message = raw.slice(semi + 1, nl < 0 ? undefined : nl);
  return { priority: Number(prio) & 7, seq: Number(seq), monoUs: Number(usec), message };
}

const OOM_TASK = /,task=(.*),pid=(\d+),uid=\d+$/;
const field = (m: string, key: string): string | null => new RegExp(`[:,]${key}=([^,]*)`).exec(m)?.[1] ?? null;
// The name may itself hold ") ": it ends at the ")" followed by the figures (or the line end).
const OOM_KILLED = /^(Memory cgroup out of memory|Out of memory(?: \(oom_kill_allocating_task\))?): Killed process (\d+) \((.*?)\)((?:,? total-vm:.*)?)$/;
const LOST = /audit: audit_lost=(\d+) audit_rate_limit=(\d+) audit_backlog_limit=(\d+)/;
const SUPPRESSED = /^(\w*audit\w*): (\d+) callbacks suppressed/;

/** Turns records into events. Stateful: an OOM report spans several records. */
export class KmsgParser {
  private constraintByPid = new Map<number, { constraint: string; memcg: string | null }>();
  /** audit records the kernel printed to its log (kauditd_printk_skb: records it is about to
   *  drop, or has no daemon for); counted, not emitted, since they can be thousands a second */
  printedAuditRecords = 0;
  /** Date.now() when the last one was read */
  lastPrintedAt = 0;
  /** kernel-log records the reader never saw: gaps in /dev/kmsg's sequence numbers (the ring
   *  wrapped past the reader, EPIPE), of any kind, counted after the first record read */
  missedRecords = 0;
  private lastSeq: number | null = null;
  /** each printed audit record, parsed (serial, type, fields) */
  onAuditRecord: PrintedAuditListener | null = null;

  /** Note a record's sequence number, to count the ones overwritten before they were read. */
  sequence(rec: KmsgRecord): void {
    if (this.lastSeq !== null && rec.seq > this.lastSeq + 1) this.missedRecords += rec.seq - this.lastSeq - 1;
    if (this.lastSeq === null || rec.seq > this.lastSeq) this.lastSeq = rec.seq;
  }

  parse(rec: KmsgRecord): KmsgEvent | null {
    const m = rec.message;
    const monoUs = rec.monoUs;
    // Cheap prefix tests first: with audit enabled and no daemon, the kernel prints every record
    // ("audit: type=1300 ...") and those are the bulk of what we read.
    if (m.startsWith('audit: ')) {
      if (m.startsWith('audit: type=')) {
        this.printedAuditRecords++;
        this.lastPrintedAt = Date.now();
        if (this.onAuditRecord) {
          const r = parsePrintedAudit(m);
          if (r) this.onAuditRecord(r);
        }
        return null;
      }
      if (m.includes('backlog limit exceeded')) return { kind: 'backlog-limit', monoUs, text: m };
      if (m.includes('rate limit exceeded')) return { kind: 'rate-limit', monoUs, text: m };
      if (m.includes('hold queue overflow')) return { kind: 'hold-queue-overflow', monoUs, text: m };
      if (m.includes('retry queue overflow')) return { kind: 'retry-queue-overflow', monoUs, text: m };
      const lost = LOST.exec(m);
      if (lost) {
        return { kind: 'lost', monoUs, lost: Number(lost[1]), rateLimit: Number(lost[2]), backlogLimit: Number(lost[3]), text: m };
      }
      return null;
    }
    if (m.startsWith('oom-kill:')) {
      const task = OOM_TASK.exec(m);
      if (task) {
        if (this.constraintByPid.size > 64) this.constraintByPid.clear();
        this.constraintByPid.set(Number(task[2]), {
          constraint: field(m, 'constraint') ?? '',
          memcg: field(m, 'task_memcg') ?? field(m, 'oom_memcg'),
        });
      }
      return null;
    }
    const k = OOM_KILLED.exec(m);
    if (k) {
      const pid = Number(k[2]);
      const ctx = this.constraintByPid.get(pid);
      this.constraintByPid.delete(pid);
      const anon = /anon-rss:(\d+)kB/.exec(k[4]);
      const adj = /oom_score_adj:(-?\d+)/.exec(k[4]);
      return {
        kind: 'oom-kill', monoUs, pid, name: k[3],
        memcg: ctx?.memcg ?? null,
        constraint: ctx?.constraint ?? null,
        cgroupOom: k[1].startsWith('Memory cgroup'),
        anonRssKiB: anon ? Number(anon[1]) : null,
        oomScoreAdj: adj ? Number(adj[1]) : null,
        text: m,
      };
    }
    const s = SUPPRESSED.exec(m);
    if (s) return { kind: 'suppressed', monoUs, source: s[1], count: Number(s[2]), text: m };
    return null;
  }
}

/** `audit: type=1300 audit(1700000000.123:456): arch=...` to its parts; null if it is not one. */
export function parsePrintedAudit(m: string): PrintedAuditRecord | null {
  const start = 12; // 'audit: type='.length
  const sp = m.indexOf(' ', start);
  if (sp < 0) return null;
  const type = Number(m.slice(start, sp));
  if (!Number.isInteger(type)) return null;
  const stamp = readAuditStamp(m, sp + 1);
  if (!stamp) return null;
  return { type, sec: stamp.sec, serial: stamp.serial, body: m.slice(stamp.end) };
}

export type KmsgListener = (event: KmsgEvent) => void;

export class KmsgMonitor {
  private readonly parser = new KmsgParser();
  private readonly listeners = new Set<KmsgListener>();
  private readonly buf = Buffer.allocUnsafe(16 * 1024);
  private timer: NodeJS.Timeout | null = null;
  /** records read / records the kernel overwrote before we read them (EPIPE) */
  recordsRead = 0;
  overruns = 0;

  /** see KmsgParser.printedAuditRecords */
  get printedAuditRecords(): number {
    return this.parser.printedAuditRecords;
  }

  get lastPrintedAt(): number {
    return this.parser.lastPrintedAt;
  }

  /** see KmsgParser.missedRecords */
  get missedRecords(): number {
    return this.parser.missedRecords;
  }

  /** Receive every printed audit record from now on (one listener). */
  onAuditRecord(listener: PrintedAuditListener | null): void {
    this.parser.onAuditRecord = listener;
  }

  private constructor(private fd: number | null) {}

  /** Open /dev/kmsg and skip what is already there: only messages from now on are events. */
  static open(path = '/dev/kmsg'): KmsgMonitor {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const mon = new KmsgMonitor(fd);
    mon.drain(false);
    return mon;
  }

  on(listener: KmsgListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Read everything new; emit and return its events. */
  poll(): KmsgEvent[] {
    return this.drain(true);
  }

  /** Poll on a timer (when no Sampler drives it). */
  start(intervalMs = 100): void {
    this.timer ??= setInterval(() => this.poll(), intervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.fd !== null) {
      this.poll();
      closeSync(this.fd);
    }
    this.fd = null;
  }

  private drain(emit: boolean): KmsgEvent[] {
    const events: KmsgEvent[] = [];
    if (this.fd === null) return events;
    for (;;) {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') { this.overruns++; continue; } // ring wrapped: next read resumes at the oldest record
        if (code === 'EAGAIN') break;
        throw err;
      }
      if (n <= 0) break;
      this.recordsRead++;
      const rec = parseKmsgRecord(this.buf.toString('utf8', 0, n));
      if (rec) this.parser.sequence(rec);
      if (!emit) continue;
      const ev = rec && this.parser.parse(rec);
      if (ev) events.push(ev);
    }
    for (const ev of events) for (const l of this.listeners) l(ev);
    return events;
  }
}
