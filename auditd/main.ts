// tsauditd's core: reads the config, starts the input thread (socket + registration + throttle),
// runs the output pump (log writer, then plugins), writes stats, handles signals, and on SIGTERM
// drains everything it accepted before it exits.
//
//   input thread ──batches (transferred ArrayBuffers)──▶ pending ──▶ sink.write + dispatch
//        ▲                                                              │
//        └──── QueueState (shared counters, Atomics.wait/notify) ◀──────┘ dequeue after write
import { closeSync, readFileSync, statfsSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { packageVersion, programPath } from '../lib/paths.ts';
import { ConfigError, LIVE_KEYS, loadConfig, lwmBytes, type DaemonConfig, type SpaceSetting } from './config.ts';
import { unpackBatch } from './input-decode.ts';
import type { InputMessage, InputWorkerData, ReturnMessage } from './input-worker.ts';
import { DaemonType, daemonRecord } from './daemon-records.ts';
import { applyOomScoreAdj } from './oom.ts';
import { boostThreads } from './priority.ts';
import { B, I, QueueState, type QueueLimits } from './queue.ts';
import { DistinctEvents, noteNotWritten } from './event-gate.ts';
import { applyEnableState, ENABLE_STATES, type EnableResult, type EnableState } from './audit-enable.ts';
import { installSignals } from './signals.ts';
import { collectStats, writeStatsFile, type DaemonStats } from './stats.ts';
import { writeStateReport } from './state-report.ts';
import type { AuditRecord, Dispatcher, LogSink, LogSinkStats, PluginStats } from './types.ts';
import { Enricher } from './enrich.ts';
import { formatsFor } from './format.ts';

export const VERSION = packageVersion();
/** records per sink.write: big enough to amortise, small enough to keep latency and memory flat */
const OUT_CHUNK = 4096;
/** A stats file whose counters did not change is rewritten once this long after the last change
 *  (ts, uptimeMs fresh); then the stats timer sleeps until something happens again. */
const STATS_HEARTBEAT_MS = 1000;
/** RSS moves by a few KiB on every GC: only a change of this much counts as a change of stats. */
const STATS_RSS_STEP = 1024 * 1024;
/** writes in flight at once: the writer coalesces what queues behind the one on the disk */
const MAX_INFLIGHT = 4;
/** bytes per sink.write as well: with big records a 4096-record chunk would be 36 MiB of text,
 *  formatted into one buffer (and again for plugins) outside the queue's byte bound */
const OUT_CHUNK_BYTES = 1024 * 1024;

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface DaemonDeps {
  /** default: the output helper's createLogSink (auditd/log-writer.ts) */
  makeSink?: (cfg: DaemonConfig, log: Logger, onHalt: (why: string) => void) => Promise<LogSink>;
  /** default: createDispatcher (auditd/dispatcher.ts) over plugin_dir */
  makeDispatcher?: (cfg: DaemonConfig, log: Logger) => Promise<Dispatcher | null>;
  log?: Logger;
}

function spaceMiB(s: SpaceSetting, dir: string): number {
  if (!s.percent) return s.value;
  const st = statfsSync(dir);
  return (st.blocks * st.bsize * s.value) / 100 / (1024 * 1024);
}

/** auid, pid, uid and ses, as auditd's DAEMON_START carries them (ENRICHED names auid and uid) */
function whoAmI(): Record<string, number> {
  const read = (f: string): number => {
    try {
      return Number(readFileSync(f, 'utf8').trim());
    } catch {
      return 4294967295;
    }
  };
  return { auid: read('/proc/self/loginuid'), pid: process.pid, uid: process.getuid?.() ?? 0, ses: read('/proc/self/sessionid') };
}

let enricher: Enricher | null = null;
/** The line formats for cfg's log_format; one Enricher (and its name caches) per daemon. */
function lineFormats(cfg: DaemonConfig): ReturnType<typeof formatsFor> {
  if (cfg.logFormat !== 'enriched') return formatsFor(null);
  enricher ??= new Enricher();
  return formatsFor(enricher);
}

async function defaultSink(cfg: DaemonConfig, log: Logger, onHalt: (why: string) => void): Promise<LogSink> {
  if (!cfg.writeLogs) return nullSink();
  const { createLogSink } = await import('./log-writer.ts');
  const dir = dirname(cfg.logFile);
  return createLogSink({
    logFile: cfg.logFile,
    logGroup: cfg.logGroup ?? undefined,
    flush: cfg.flush,
    freq: cfg.freq,
    maxLogFileMiB: cfg.maxLogFileMiB,
    numLogs: cfg.numLogs,
    maxLogFileAction: cfg.maxLogFileAction,
    spaceLeftMiB: spaceMiB(cfg.spaceLeft, dir),
    spaceLeftAction: cfg.spaceLeftAction,
    adminSpaceLeftMiB: spaceMiB(cfg.adminSpaceLeft, dir),
    adminSpaceLeftAction: cfg.adminSpaceLeftAction,
    diskFullAction: cfg.diskFullAction,
    diskErrorAction: cfg.diskErrorAction === 'rotate' ? 'suspend' : cfg.diskErrorAction,
    onHalt,
    onWarn: (m) => log.warn(m),
    // writes of at most 1 MiB: on a slow device a 4 MiB write finishes nothing for seconds, and
    // finished records are the credit the paced intake reads by
    maxWriteBytes: 1024 * 1024,
    format: lineFormats(cfg).log,
  });
}

async function defaultDispatcher(cfg: DaemonConfig, log: Logger): Promise<Dispatcher | null> {
  const { readPluginDir } = await import('./plugin-config.ts');
  const plugins = (await readPluginDir(cfg.pluginDir,
    { qDepth: cfg.qDepth, overflowAction: cfg.overflowAction, maxRestarts: cfg.maxRestarts },
    (m) => log.warn(m))).filter((p) => p.active);
  if (plugins.length === 0) return null;
  const { createDispatcher } = await import('./dispatcher.ts');
  return createDispatcher({ plugins, onWarn: (m) => log.warn(m), format: lineFormats(cfg).plugin });
}

/** write_logs = no: auditd keeps reading and dispatching but writes nothing. */
function nullSink(): LogSink {
  const st: LogSinkStats = { bytesWritten: 0, recordsWritten: 0, notWritten: 0, suspended: false, suspendReason: null, rotations: 0, writeErrors: 0 };
  return {
    write: async () => ({ written: 0, notWritten: 0 }),
    rotate: async () => {},
    resume: () => {},
    close: async () => {},
    stats: () => ({ ...st }),
  };
}

export function queueLimits(cfg: DaemonConfig): QueueLimits {
  const paced = {
    reserve: cfg.queueReserve, reserveBytes: cfg.queueReserveBytes, fullAction: cfg.queueFullAction, floorMs: cfg.queueFloorMs,
  };
  if (cfg.queueOverflow === 'unbounded') {
    return { policy: 'unbounded', hwm: 0x7fffffff, lwm: 0x7fffffff - 1, hwmBytes: Number.MAX_SAFE_INTEGER, lwmBytes: Number.MAX_SAFE_INTEGER, ...paced };
  }
  return { policy: cfg.queueOverflow, hwm: cfg.queueHwm, lwm: cfg.queueLwm, hwmBytes: cfg.queueHwmBytes, lwmBytes: lwmBytes(cfg), ...paced };
}

interface Batch {
  records: AuditRecord[];
  bytes: number;
  /** the batch's buffer: goes back to the input thread for reuse once its records are written */
  buf: ArrayBuffer;
}

export class Daemon {
  readonly q = new QueueState();
  private worker: Worker | null = null;
  private sink!: LogSink;
  private dispatcher: Dispatcher | null = null;
  private pending: Batch[] = [];
  private pendingHead = 0;
  private inflight = 0;
  private dispatchBlocked = false;
  private processed = 0;
  private daemonRecords = 0;
  private state = 'starting';
  private registered = false;
  private readonly startedAt = Date.now();
  private statsTimer: NodeJS.Timeout | null = null;
  private lossReported = 0;
  private lossCheckedAt = 0;
  private statsKey = '';
  private statsWrittenAt = 0;
  private sideWrites = new Set<Promise<unknown>>();
  private drainWaiters: (() => void)[] = [];
  private workerDone: Promise<void> = Promise.resolve();
  private stopping: Promise<number> | null = null;
  private exitCode = 0;
  private readonly notWrittenEvents = new DistinctEvents();
  private enable: EnableResult | null = null;
  private wakeFd = -1;
  private inputTid = -1;
  readonly log: Logger;

  constructor(public cfg: DaemonConfig, private readonly deps: DaemonDeps = {}, private readonly enableState: EnableState = 'nochange') {
    this.log = deps.log ?? consoleLogger(false);
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(1n);
    // the input thread sleeps in poll() on its socket and this eventfd (open until it has exited)
    this.q.wakeFd = () => { if (this.wakeFd >= 0) writeSync(this.wakeFd, one); };
  }

  /** Start everything; resolves once the input thread is registered with the kernel. */
  async start(): Promise<void> {
    const cfg = this.cfg;
    if (cfg.queueOverflow === 'unbounded') {
      this.log.warn('!!! queue_overflow = unbounded: NO THROTTLE. The queue grows without limit when output ' +
        'stalls (the 2009 behaviour); this is for reproductions only, never for production. !!!');
    }
    const oom = applyOomScoreAdj(cfg.oomScoreAdj);
    if (oom.warning) this.log.warn(oom.warning);
    this.q.setLimits(queueLimits(cfg));
    this.sink = await (this.deps.makeSink ?? defaultSink)(cfg, this.log, (why) => this.halt(why));
    this.dispatcher = await (this.deps.makeDispatcher ?? defaultDispatcher)(cfg, this.log);
    this.dispatcher?.onWritable(() => {
      this.dispatchBlocked = false;
      this.pump();
    });
    // One timer for the daemon's periodic work: the stats file (skipped when nothing changed)
    // and, once a second, the drop policy's loss record. It sleeps while the daemon is idle
    // (sleepStats), so nothing wakes an idle daemon.
    this.wakeStats();
    await this.startWorker();
    // the input thread has boosted itself; the writer's threads get the same boost, as auditd's one
    // thread has it, so a busy machine does not hold a line the input thread posted at once
    const boost = boostThreads(cfg.priorityBoost, this.inputTid);
    if (boost.error) this.log.warn(`priority_boost ${cfg.priorityBoost} not applied to every thread: ${boost.error}`);
    try {
      this.enable = await applyEnableState(this.enableState);
      if (this.enable.set !== null) this.log.info(`audit enabled flag set to ${this.enable.set} (was ${this.enable.found}); restored at exit`);
    } catch (err) {
      this.log.warn(`cannot change the audit enabled flag (-s ${this.enableState}): ${(err as Error).message}`);
    }
    this.state = 'running';
    this.sideWrite(daemonRecord(DaemonType.START, {
      op: 'start', ver: `tsauditd-${VERSION}`, format: cfg.logFormat, policy: cfg.queueOverflow,
      queue_hwm: cfg.queueHwm, queue_hwm_bytes: cfg.queueHwmBytes, ...whoAmI(), res: 'success',
    }));
    this.writeStats();
    this.log.info(`running: pid ${process.pid}, policy ${cfg.queueOverflow}, queue_hwm ${cfg.queueHwm} records / ` +
      `${cfg.queueHwmBytes} bytes, lwm ${cfg.queueLwm}, log ${cfg.writeLogs ? cfg.logFile : '(write_logs = no)'}`);
  }

  private startWorker(): Promise<void> {
    const data: InputWorkerData = {
      sabI32: this.q.sabI32, sabI64: this.q.sabI64, pid: process.pid,
      recvBufferBytes: this.cfg.recvBufferBytes, recvBatch: this.cfg.recvBatch, priorityBoost: this.cfg.priorityBoost,
    };
    // the built JavaScript, also when this module runs from source under tsx (tests)
    const worker = new Worker(programPath('auditd/input-worker.ts'), { workerData: data });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let markDone!: () => void;
      this.workerDone = new Promise<void>((r) => { markDone = r; });
      worker.on('message', (m: InputMessage) => {
        this.wakeStats();
        switch (m.type) {
          case 'batch':
            this.pending.push({ records: unpackBatch(m.buf, m.used), bytes: m.bytes, buf: m.buf });
            this.pump();
            break;
          case 'registered':
            this.registered = true;
            this.wakeFd = m.wakeFd;
            this.inputTid = m.tid;
            this.log.info(`registered with the kernel as the audit daemon (netlink port ${m.portId}, rcvbuf ${m.rcvbuf} bytes)`);
            settled = true;
            resolve();
            break;
          case 'log':
            this.log[m.level](`input: ${m.msg}`);
            break;
          case 'stopped':
            this.registered = !m.unregistered;
            break;
          case 'halt':
            this.halt(m.why);
            break;
          case 'changed':
            break; // wakeStats above is all it asks for
          case 'failed':
            if (!settled) { settled = true; reject(new Error(m.msg)); } else this.log.error(`input: ${m.msg}`);
            break;
        }
      });
      worker.on('error', (err) => {
        this.log.error(`input thread crashed: ${err.stack ?? err.message}`);
        if (!settled) { settled = true; reject(err); }
      });
      worker.on('exit', (code) => {
        this.worker = null;
        Atomics.store(this.q.i32, I.WAKE_FD, -1);
        if (this.wakeFd >= 0) { try { closeSync(this.wakeFd); } catch { /* already gone */ } }
        this.wakeFd = -1;
        markDone();
        if (!settled) { settled = true; reject(new Error(`input thread exited with code ${code} before registering`)); }
        if (this.state === 'running') {
          this.log.error(`input thread exited unexpectedly (code ${code}); stopping`);
          this.exitCode = 1;
          void this.stop('input thread exited');
        }
      });
    });
  }

  /** Move pending batches to the output side, keeping up to MAX_INFLIGHT writes queued. */
  private pump(): void {
    while (this.inflight < MAX_INFLIGHT && this.pendingHead < this.pending.length &&
           (!this.dispatchBlocked || this.state === 'stopping')) {
      const records: AuditRecord[] = [];
      const bufs: ArrayBuffer[] = [];
      let bytes = 0;
      while (this.pendingHead < this.pending.length && records.length < OUT_CHUNK && bytes < OUT_CHUNK_BYTES) {
        const b = this.pending[this.pendingHead];
        this.pending[this.pendingHead++] = undefined as unknown as Batch;
        for (const r of b.records) records.push(r);
        bufs.push(b.buf);
        bytes += b.bytes;
      }
      if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
        this.pending = this.pending.slice(this.pendingHead);
        this.pendingHead = 0;
      }
      if (this.dispatcher && !this.dispatcher.dispatch(records)) this.dispatchBlocked = true;
      this.inflight++;
      this.sink.write(records).then(
        (r) => {
          if (r.notWritten > 0) noteNotWritten(records, r.written, this.notWrittenEvents);
          this.done(records.length, bytes, bufs);
        },
        (err: Error) => {
          // The writer counts its own failures; a rejection is a bug there. Keep the accounting right.
          this.log.error(`log write failed: ${err.message}`);
          this.done(records.length, bytes, bufs);
        });
    }
    if (this.idle()) for (const w of this.drainWaiters.splice(0)) w();
  }

  /** A chunk is written and dispatched (both took copies of what they keep): its buffers go back
   *  to the input thread, which leaves this chunk's record views empty. */
  private done(records: number, bytes: number, bufs: ArrayBuffer[]): void {
    if (this.worker) this.worker.postMessage({ type: 'return', bufs } satisfies ReturnMessage, bufs);
    this.inflight--;
    this.processed += records;
    this.q.dequeue(records, bytes, this.cfg.recvBatch);
    this.pump();
  }

  private idle(): boolean {
    return this.inflight === 0 && this.pendingHead >= this.pending.length;
  }

  private drained(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  /** Records the daemon writes about itself go straight to the sink (not through the queue). */
  private sideWrite(rec: AuditRecord): void {
    this.wakeStats();
    const p = this.sink.write([rec]).then((r) => { this.daemonRecords += r.written; }).catch((e: Error) => this.log.error(`cannot write ${rec.type} record: ${e.message}`));
    this.sideWrites.add(p);
    void p.finally(() => this.sideWrites.delete(p));
  }

  /** drop policy: a DAEMON_ERR loss record each second while records are being dropped. */
  private reportLoss(): void {
    const total = this.q.get(B.DROPPED_QUEUE_FULL);
    if (total === this.lossReported) return;
    const lost = total - this.lossReported;
    this.lossReported = total;
    this.sideWrite(daemonRecord(DaemonType.ERR, {
      op: 'queue_overflow', policy: this.q.limits().policy, lost, total_lost: total,
      lost_syscall: this.q.get(B.DROPPED_QUEUE_FULL_SYSCALL), lost_events: this.q.get(B.DROPPED_EVENTS_QUEUE_FULL),
      queue_hwm: this.cfg.queueHwm, queue_hwm_bytes: this.cfg.queueHwmBytes, pid: process.pid, res: 'failed',
    }));
    this.log.warn(`queue full: dropped ${lost} records in the last second (${total} records, ${this.q.get(B.DROPPED_EVENTS_QUEUE_FULL)} events in all)`);
  }

  stats(): DaemonStats {
    return collectStats({
      q: this.q, pid: process.pid, startedAt: this.startedAt,
      state: () => this.state, registered: () => this.registered, processed: () => this.processed, daemonRecords: () => this.daemonRecords,
      sink: () => this.sink.stats(),
      notWrittenEvents: () => this.notWrittenEvents.count,
      inputTid: () => this.inputTid,
      plugins: () => (this.dispatcher?.stats() ?? []) as PluginStats[],
    });
  }

  private tick(): void {
    const now = Date.now();
    if (this.state === 'running' && now - this.lossCheckedAt >= 1000) {
      this.lossCheckedAt = now;
      this.reportLoss();
    }
    if (this.writeStats(false) === 'heartbeat') this.sleepStats();
  }

  /** (Re)start the stats timer if it sleeps. Called on everything that can change a counter on
   *  this thread (a message from the input thread, a record of our own, a signal); the input
   *  thread's own changes arrive as a message too (STATS_DORMANT). */
  private wakeStats(): void {
    if (this.statsTimer !== null || this.state === 'stopped') return;
    Atomics.store(this.q.i32, I.STATS_DORMANT, 0);
    this.statsTimer = setInterval(() => this.tick(), this.cfg.statsIntervalMs);
  }

  /** After a heartbeat with nothing changed for STATS_HEARTBEAT_MS: stop the timer, unless work
   *  is under way that changes counters without a message (writes in flight, plugins, a loss
   *  record due, a stop). */
  private sleepStats(): void {
    if (this.state !== 'running' || this.dispatcher !== null || !this.idle() || this.sideWrites.size > 0 ||
        this.q.get(B.DROPPED_QUEUE_FULL) !== this.lossReported || this.statsTimer === null) return;
    Atomics.store(this.q.i32, I.STATS_DORMANT, 1);
    // a change the input thread made before it could see the flag: look once more
    if (this.statsKeyOf(this.stats()) !== this.statsKey) {
      Atomics.store(this.q.i32, I.STATS_DORMANT, 0);
      return;
    }
    clearInterval(this.statsTimer);
    this.statsTimer = null;
  }

  private statsKeyOf(s: DaemonStats): string {
    return JSON.stringify({ ...s, ts: 0, uptimeMs: 0, rssBytes: Math.round(s.rssBytes / STATS_RSS_STEP) });
  }

  /** Write the stats file; unless forced, only when a counter or the state changed (RSS by a
   *  MiB or more), or once STATS_HEARTBEAT_MS after the last write ('heartbeat'). */
  writeStats(force = true): 'changed' | 'heartbeat' | 'none' {
    const s = this.stats();
    const key = this.statsKeyOf(s);
    const changed = key !== this.statsKey;
    if (!force && !changed && s.ts - this.statsWrittenAt < STATS_HEARTBEAT_MS) return 'none';
    this.statsKey = key;
    this.statsWrittenAt = s.ts;
    try {
      writeStatsFile(this.cfg.statsFile, s);
    } catch (err) {
      this.log.warn(`cannot write stats to ${this.cfg.statsFile}: ${(err as Error).message}`);
    }
    return changed || force ? 'changed' : 'heartbeat';
  }

  /** SIGHUP: re-read the config; apply what can change live, say what needs a restart. */
  reload(): void {
    let next: DaemonConfig;
    try {
      next = loadConfig(this.cfg.configDir);
    } catch (err) {
      this.log.error(`reload refused, keeping the running config: ${(err as Error).message}`);
      return;
    }
    const changed: (keyof DaemonConfig)[] = [];
    const needRestart: (keyof DaemonConfig)[] = [];
    for (const k of Object.keys(next) as (keyof DaemonConfig)[]) {
      if (JSON.stringify(next[k]) === JSON.stringify(this.cfg[k])) continue;
      (LIVE_KEYS.has(k) ? changed : needRestart).push(k);
    }
    const live = { ...this.cfg };
    for (const k of changed) (live as Record<string, unknown>)[k] = next[k];
    if (changed.includes('oomScoreAdj')) {
      const r = applyOomScoreAdj(live.oomScoreAdj);
      if (r.warning) this.log.warn(r.warning);
    }
    if (changed.includes('statsIntervalMs') && this.statsTimer) {
      clearInterval(this.statsTimer);
      this.statsTimer = setInterval(() => this.tick(), live.statsIntervalMs);
    }
    if (changed.includes('queueOverflow') && live.queueOverflow === 'unbounded') {
      this.log.warn('!!! queue_overflow = unbounded now: NO THROTTLE (reproductions only) !!!');
    }
    // recvBufferBytes is read by the input thread only at start
    const restartOnly = changed.filter((k) => k === 'recvBufferBytes');
    this.cfg = live;
    this.q.setLimits(queueLimits(live));
    this.sideWrite(daemonRecord(DaemonType.CONFIG, {
      op: 'reconfigure', changed: changed.join(',') || 'none', pid: process.pid, res: 'success',
    }));
    this.log.info(`reloaded: changed ${changed.join(', ') || 'nothing live'}` +
      (needRestart.length + restartOnly.length ? `; needs a restart to change: ${[...needRestart, ...restartOnly].join(', ')}` : ''));
  }

  /** SIGUSR1 */
  async rotate(): Promise<void> {
    this.wakeStats();
    try {
      await this.sink.rotate();
      this.log.info('log rotated');
    } catch (err) {
      this.log.error(`rotate failed: ${(err as Error).message}`);
    }
    this.wakeStats(); // the rotation counter changed after the timer may have slept
  }

  /** SIGUSR2 */
  resume(): void {
    // records not written while suspended (since start): auditd reports nothing; the harness needs it
    const notWritten = this.sink.stats().notWritten;
    this.sink.resume();
    this.wakeStats();
    Atomics.store(this.q.i32, I.SUSPENDED, 0); // queue_full_action suspend ends here too
    this.q.wake();
    this.sideWrite(daemonRecord(DaemonType.RESUME, { op: 'resume', not_written: notWritten, pid: process.pid, res: 'success' }));
    this.log.info(`logging resumed (${notWritten} records not written while suspended)`);
  }

  /** SIGCONT */
  writeState(): void {
    try {
      writeStateReport(this.cfg, this.stats(), this.sink.stats());
      this.log.info(`state written to ${this.cfg.stateFile}`);
    } catch (err) {
      this.log.error(`cannot write the state report: ${(err as Error).message}`);
    }
  }

  private halt(why: string): void {
    this.log.error(`halt action: ${why}; tsauditd stops (auditd would halt the machine)`);
    this.exitCode = 3;
    void this.stop(`halt: ${why}`);
  }

  /** SIGTERM: stop reading, unregister, write everything accepted, close. Resolves to the exit code. */
  stop(reason = 'SIGTERM'): Promise<number> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<number> {
    this.log.info(`stopping (${reason}): ${this.q.records()} records queued`);
    this.state = 'stopping';
    this.wakeStats();
    // put the enabled flag back while still reading, so its CONFIG_CHANGE record is ours
    try {
      const msg = await this.enable?.restore();
      if (msg) this.log.info(msg);
    } catch (err) {
      this.log.error(`cannot restore the audit enabled flag: ${(err as Error).message}`);
    }
    this.q.requestStop();
    await this.workerDone;
    this.pump();
    await this.drained();
    this.reportLoss();
    if (!this.sink) {
      this.state = 'stopped';
      return this.exitCode || 1;
    }
    const s = this.stats();
    this.sideWrite(daemonRecord(DaemonType.END, {
      op: 'terminate', reason: JSON.stringify(reason), received: s.received, processed: s.processed,
      dropped: s.dropped.queue_full, pid: process.pid, res: 'success',
    }));
    await Promise.all([...this.sideWrites]);
    try {
      await this.dispatcher?.close();
    } catch (err) {
      this.log.error(`closing plugins: ${(err as Error).message}`);
    }
    await this.sink?.close();
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = null;
    this.state = 'stopped';
    this.writeStats();
    const f = this.stats();
    this.log.info(`stopped: received ${f.received}, processed ${f.processed}, written ${f.written}, ` +
      `dropped ${JSON.stringify(f.dropped)}, left in queue ${f.queue.records}, unregistered ${!f.registered}`);
    if (f.queue.records !== 0) this.exitCode ||= 1;
    return this.exitCode;
  }
}

export function consoleLogger(verbose: boolean): Logger {
  const line = (lvl: string, msg: string) => process.stderr.write(`tsauditd[${process.pid}] ${lvl}: ${msg}\n`);
  return {
    info: (m) => { if (verbose) line('info', m); },
    warn: (m) => line('warn', m),
    error: (m) => line('error', m),
  };
}

const USAGE = `usage: tsauditd [-n] [-f] [-s enable|nochange|disable] -c DIR | --version
  -n      do not fork (run in the foreground without diagnostics)
  -f      foreground, diagnostics on stderr (implies -n)
  -s X    the kernel's audit enabled flag: enable (default, as auditd) or disable it at start,
          or leave it (nochange); what was found is put back at exit
  -c DIR  config directory: reads DIR/auditd.conf; relative paths in it are under DIR
  --version  print tsauditd's version and exit`;

export interface CliArgs {
  configDir: string;
  foreground: boolean;
  noFork: boolean;
  enableState: EnableState;
  version?: boolean;
}

export function parseArgs(argv: string[]): CliArgs | string {
  const out: CliArgs = { configDir: '/etc/audit', foreground: false, noFork: false, enableState: 'enable' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-n') out.noFork = true;
    else if (a === '-f') { out.foreground = true; out.noFork = true; }
    else if (a === '-c') {
      const v = argv[++i];
      if (!v) return '-c needs a directory';
      out.configDir = v;
    } else if (a === '-s' || a.startsWith('-s=')) {
      const v = a === '-s' ? argv[++i] : a.slice(3);
      if (!ENABLE_STATES.includes(v as EnableState)) return `-s needs one of ${ENABLE_STATES.join(', ')}`;
      out.enableState = v as EnableState;
    } else if (a === '-h' || a === '--help') return '';
    else if (a === '--version') out.version = true;
    else return `unknown argument "${a}"`;
  }
  return out;
}

type StartReport = { ready: true } | { error: string };
const NOTIFY_ENV = 'TSAUDITD_START_NOTIFY';
/** How long the detaching parent waits for the daemon to be running before it gives up. */
const DETACH_WAIT_MS = 60_000;

/**
 * auditd forks and its parent exits only once the daemon is running (or with the reason it could
 * not start), so `service auditd start` returns with audit on and the daemon registered. We re-run
 * ourselves detached with -n and wait for the child's report on an IPC channel; the child's stdio
 * is closed, so this channel is the only way its start error reaches the caller.
 */
async function detach(args: CliArgs): Promise<number> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], '-n', '-s', args.enableState, '-c', args.configDir],
    { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: { ...process.env, [NOTIFY_ENV]: '1' } });
  const outcome = await new Promise<StartReport | { exited: string } | { timeout: true }>((resolve) => {
    const timer = setTimeout(() => resolve({ timeout: true }), DETACH_WAIT_MS);
    const done = (v: StartReport | { exited: string } | { timeout: true }) => { clearTimeout(timer); resolve(v); };
    child.once('message', (m) => done(m as StartReport));
    child.once('exit', (code, sig) => done({ exited: sig ? `signal ${sig}` : `exit code ${code}` }));
    child.once('error', (e) => done({ exited: e.message }));
  });
  child.removeAllListeners();
  if (child.connected) child.disconnect();
  if ('ready' in outcome) {
    child.unref();
    process.stdout.write(`${child.pid}\n`);
    return 0;
  }
  if ('timeout' in outcome) {
    child.unref();
    process.stderr.write(`tsauditd: the daemon (pid ${child.pid}) did not report running within ${DETACH_WAIT_MS / 1000} s; it was left running\n`);
    return 1;
  }
  if ('error' in outcome) {
    process.stderr.write(`tsauditd: ${outcome.error}\n`);
    // its exit code says why (2: bad config); it exits right after the report
    const code = child.exitCode ?? await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    return code === 2 ? 2 : 1;
  }
  process.stderr.write(`tsauditd: the daemon ended before it was running (${outcome.exited}); run it with -f to see why\n`);
  return 1;
}

/** In a child started by detach(): report the start's outcome once, then drop the channel. */
function startNotifier(): (r: StartReport) => void {
  const send = process.env[NOTIFY_ENV] === '1' && process.send ? process.send.bind(process) : null;
  delete process.env[NOTIFY_ENV];
  let sent = !send;
  return (r) => {
    if (sent) return;
    sent = true;
    send!(r, undefined, {}, () => { if (process.connected) process.disconnect(); });
  };
}

/** CLI entry. Resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`${args ? `tsauditd: ${args}\n` : ''}${USAGE}\n`);
    return args ? 2 : 0;
  }
  if (args.version) {
    process.stdout.write(`tsauditd ${VERSION}\n`);
    return 0;
  }
  if (!args.noFork) return detach(args);
  const notify = startNotifier();
  const log = consoleLogger(args.foreground);
  let cfg: DaemonConfig;
  try {
    cfg = loadConfig(args.configDir);
  } catch (err) {
    process.stderr.write(`tsauditd: ${(err as Error).message}\n`);
    notify({ error: (err as Error).message });
    return err instanceof ConfigError ? 2 : 1;
  }
  const daemon = new Daemon(cfg, { log }, args.enableState);
  try {
    await daemon.start();
  } catch (err) {
    log.error(`cannot start: ${(err as Error).message}`);
    notify({ error: `cannot start: ${(err as Error).message}` });
    await daemon.stop('start failed').catch(() => 0);
    return 1;
  }
  notify({ ready: true });
  return new Promise<number>((resolve) => {
    installSignals(daemon, (code) => resolve(code));
  });
}
