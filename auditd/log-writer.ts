// tsauditd's log writer: formats batches of records into auditd RAW lines and appends them to the
// log with auditd's flush, rotation and disk-space semantics (auditd.conf(5), auditd-event.c).
//
// Design:
// - write() only queues; one write is in flight at a time (on the libuv pool), and whatever queued
//   meanwhile goes out as one coalesced write next. The main thread never blocks on the disk.
// - A write() promise resolves when its records are written per the flush policy (after the fsync
//   for incremental, from an O_DSYNC/O_SYNC descriptor for data/sync). The core awaits these, so
//   a slow disk slows intake: that is the back-pressure.
// - Suspended: write() still resolves at once, writes nothing and counts the records (notWritten).
// - A write that fails midway (ENOSPC, EIO) is cut back to the last whole line (ftruncate) so the
//   log stays parseable; the records that did not make it are counted as notWritten.
//
// Differences from auditd, on purpose: checks run per batch, not per record (a batch can overshoot
// max_log_file by its own size); disk_full_action runs once per transition to "full" rather than on
// every write; max_log_file_action=syslog warns once per crossing; max_log_file=0 means no limit.

import { dirname } from 'node:path';
import type { AuditRecord, LogSink, LogSinkStats, WriteResult } from './types.ts';
import { countLoggable, formatGroups, FormatScratch, LOG_FORMAT, type FormatOptions } from './format.ts';
import { openLog, resolveGroup, retireLog, type FlushMode } from './log-file.ts';
import { closeFd, fsyncFd, ftruncateFd, writeAll } from './fd-io.ts';
import { firstFreeLogNumber, removeExcessLogs, shiftLogFiles } from './log-rotation.ts';
import { classifySpace, MiB, readSpace } from './disk-space.ts';

/** free space is looked up again after this many bytes written, or this long (see writeBatch) */
const SPACE_CHECK_BYTES = 1024 * 1024;
const SPACE_CHECK_MS = 250;

export type { FlushMode } from './log-file.ts';
export type MaxLogFileAction = 'ignore' | 'syslog' | 'suspend' | 'rotate' | 'keep_logs';
export type SpaceAction = 'ignore' | 'syslog' | 'rotate' | 'suspend' | 'halt';
export type DiskErrorAction = 'ignore' | 'syslog' | 'suspend' | 'halt';

export interface LogWriterOptions {
  logFile: string;
  /** log_group: group name or gid; the log becomes 0640 and group-owned. Default: none (0600). */
  logGroup?: string | number;
  flush: FlushMode;
  /** incremental / incremental_async: fsync every `freq` records. */
  freq: number;
  /** max_log_file in MiB (fractions allowed, 0 = no limit). */
  maxLogFileMiB: number;
  numLogs: number;
  maxLogFileAction: MaxLogFileAction;
  spaceLeftMiB: number;
  spaceLeftAction: SpaceAction;
  adminSpaceLeftMiB: number;
  adminSpaceLeftAction: SpaceAction;
  diskFullAction: SpaceAction;
  diskErrorAction: DiskErrorAction;
  /** A `halt` action fired. auditd would halt the machine; the core decides (tsauditd exits). */
  onHalt?: (reason: string) => void;
  /** `syslog` actions and notices. */
  onWarn?: (msg: string) => void;
  /** Upper bound of one coalesced write, in bytes (default 4 MiB). */
  maxWriteBytes?: number;
  /** The line format (default RAW: LOG_FORMAT; ENRICHED: formatsFor(enricher).log). */
  format?: FormatOptions;
}

export interface LogWriterStats extends LogSinkStats {
  fsyncs: number;
  logSize: number;
  fd: number | null;
  spaceWarning: boolean;
  adminSpaceWarning: boolean;
  diskFull: boolean;
  pendingRecords: number;
}

export interface LogWriter extends LogSink {
  stats(): LogWriterStats;
}

interface Pending {
  records: readonly AuditRecord[];
  loggable: number;
  resolve: (r: WriteResult) => void;
  settled?: boolean;
}

const DEFAULT_MAX_WRITE = 4 * MiB;
/** auditd's per-record overhead guess for sizing a coalesced write: "type=SYSCALL msg=" + "\n". */
const LINE_OVERHEAD = 24;

export async function createLogSink(options: LogWriterOptions): Promise<LogWriter> {
  const o = { ...options };
  const warn = o.onWarn ?? ((m: string) => process.stderr.write(`tsauditd: ${m}\n`));
  const onHalt = o.onHalt ?? (() => {});
  const maxWrite = o.maxWriteBytes ?? DEFAULT_MAX_WRITE;
  const lineFormat = o.format ?? LOG_FORMAT;
  const gid = o.logGroup !== undefined ? resolveGroup(o.logGroup) : null;
  const logDir = dirname(o.logFile);
  if (!(o.freq >= 1) && (o.flush === 'incremental' || o.flush === 'incremental_async')) {
    throw new Error(`freq: must be >= 1 with flush=${o.flush} (got ${o.freq})`);
  }

  let fd: number | null = null;
  let logSize = 0;
  let closed = false;
  let suspended = false;
  let suspendReason: string | null = null;
  let fsSpaceLeft = true; // false once the disk counted as full (ENOSPC or < 5 blocks)
  let spaceWarning = false;
  let adminSpaceWarning = false;
  let sizeWarned = false;
  let diskErrWarnings = 0;
  let recordsSinceSync = 0;
  let bytesSinceSpaceCheck = 0;
  let spaceCheckedAt = 0;
  let lastKeptLog = 1;
  const st = { bytesWritten: 0, recordsWritten: 0, notWritten: 0, rotations: 0, writeErrors: 0, fsyncs: 0 };

  const pending: Pending[] = [];
  let pendingRecords = 0;
  // one write is in flight at a time (the serial loop below), so its text buffer can be reused
  const scratch = new FormatScratch();
  const ops: (() => Promise<void>)[] = [];
  let running = false;

  // ---- incremental_async: fsync on the pool without holding the writer; repeats fold together.
  let asyncSync: Promise<void> | null = null;
  let asyncAgain = false;
  function kickAsyncFsync(): void {
    if (asyncSync) {
      asyncAgain = true;
      return;
    }
    const target = fd;
    if (target === null) return;
    asyncSync = (async () => {
      do {
        asyncAgain = false;
        try {
          await fsyncFd(target);
          st.fsyncs++;
        } catch (e) {
          diskError('fsync', e as NodeJS.ErrnoException);
        }
      } while (asyncAgain && fd === target);
      asyncSync = null;
    })();
  }

  // ---- actions
  function suspend(reason: string): void {
    if (!suspended) warn(`suspending logging: ${reason}`);
    suspended = true;
    suspendReason = reason;
  }
  function halt(reason: string): void {
    warn(`halt requested: ${reason}`);
    suspend(`halt: ${reason}`);
    onHalt(reason);
  }
  async function spaceAction(action: SpaceAction, what: string): Promise<void> {
    switch (action) {
      case 'ignore':
        return;
      case 'syslog':
        warn(what);
        return;
      case 'rotate':
        if (o.numLogs > 1) {
          warn(`${what}: rotating log files`);
          await rotateNow(false);
        }
        return;
      case 'suspend':
        suspend(what);
        return;
      case 'halt':
        halt(what);
        return;
    }
  }
  async function diskFull(what: string): Promise<void> {
    if (!fsSpaceLeft) return;
    fsSpaceLeft = false;
    warn(`no space left on logging partition (${what})`);
    await spaceAction(o.diskFullAction, 'disk full');
  }
  function diskError(op: string, err: NodeJS.ErrnoException): void {
    st.writeErrors++;
    const what = `${op}: error writing an event to disk (${err.code ?? err.message})`;
    switch (o.diskErrorAction) {
      case 'ignore':
        return;
      case 'syslog':
        // auditd stops repeating itself after 5 until a write succeeds again.
        if (diskErrWarnings < 5) warn(what);
        diskErrWarnings++;
        return;
      case 'suspend':
        suspend(`disk error: ${what}`);
        return;
      case 'halt':
        halt(`disk error: ${what}`);
        return;
    }
  }
  async function fileError(op: string, err: NodeJS.ErrnoException): Promise<void> {
    if (err.code === 'ENOSPC') {
      st.writeErrors++;
      await diskFull(op);
    } else diskError(op, err);
  }

  // ---- checks after each write (auditd: check_log_file_size, check_space_left)
  async function checkSize(): Promise<void> {
    if (!(o.maxLogFileMiB > 0) || logSize < o.maxLogFileMiB * MiB) return;
    switch (o.maxLogFileAction) {
      case 'ignore':
        return;
      case 'syslog':
        if (!sizeWarned) warn(`log file ${o.logFile} is larger than max_log_file (${o.maxLogFileMiB} MiB)`);
        sizeWarned = true;
        return;
      case 'suspend':
        suspend('log file reached max_log_file');
        return;
      case 'rotate':
        if (o.numLogs > 1) await rotateNow(false);
        return;
      case 'keep_logs':
        await rotateNow(true);
        return;
    }
  }
  async function checkSpace(): Promise<void> {
    let r;
    try {
      r = await readSpace(fd !== null ? o.logFile : logDir);
    } catch {
      return; // auditd: a failed statfs is an inconvenience, the real error comes with the write
    }
    const c = classifySpace(r, o.spaceLeftMiB, o.adminSpaceLeftMiB);
    if (c.full) {
      await diskFull(`${r.bavail} blocks available`);
      return;
    }
    // The disk has room again (someone freed space): a later "full" acts again.
    if (!suspended) fsSpaceLeft = true;
    if (c.belowSpaceLeft) {
      if (!spaceWarning) {
        spaceWarning = true;
        await spaceAction(o.spaceLeftAction, `low on disk space for logging (below space_left ${o.spaceLeftMiB} MiB)`);
      }
    } else if (spaceWarning && o.spaceLeftAction === 'syslog') spaceWarning = false;
    if (c.belowAdminSpaceLeft) {
      if (!adminSpaceWarning) {
        adminSpaceWarning = true;
        await spaceAction(
          o.adminSpaceLeftAction,
          `very low on disk space for logging (below admin_space_left ${o.adminSpaceLeftMiB} MiB)`,
        );
      }
    } else if (adminSpaceWarning && o.adminSpaceLeftAction === 'syslog') adminSpaceWarning = false;
  }

  // ---- open / rotate / close (run only from the serial loop)
  async function openLive(): Promise<boolean> {
    try {
      const opened = await openLog(o.logFile, o.flush, gid);
      fd = opened.fd;
      logSize = opened.size;
      sizeWarned = false;
      return true;
    } catch (e) {
      fd = null;
      const err = e as NodeJS.ErrnoException;
      warn(`could not open log file ${o.logFile} (${err.code ?? err.message})`);
      suspend(`cannot open log file ${o.logFile}`);
      await fileError('open', err);
      return false;
    }
  }
  async function closeLive(): Promise<void> {
    if (asyncSync) await asyncSync;
    if (fd === null) return;
    const f = fd;
    fd = null;
    try {
      await retireLog(f, gid);
    } catch (e) {
      diskError('close', e as NodeJS.ErrnoException);
    }
  }
  async function rotateNow(keep: boolean): Promise<void> {
    if (!keep && o.numLogs < 2) {
      warn('log rotation disabled (num_logs < 2), skipping');
      return;
    }
    await closeLive();
    let files = o.numLogs;
    if (keep) {
      lastKeptLog = await firstFreeLogNumber(o.logFile, lastKeptLog);
      files = lastKeptLog + 1;
    }
    for (const f of await shiftLogFiles(o.logFile, files)) {
      warn(`error rotating logs from ${f.from} to ${f.to} (${f.error.code})`);
      await fileError('rotate', f.error);
    }
    st.rotations++;
    recordsSinceSync = 0;
    await openLive();
  }

  // ---- the write path
  function settle(batch: Pending[], writtenPer: number[]): void {
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i];
      if (p.settled) continue;
      p.settled = true;
      const written = writtenPer[i];
      const notWritten = p.loggable - written;
      st.recordsWritten += written;
      st.notWritten += notWritten;
      pendingRecords -= p.records.length;
      p.resolve({ written, notWritten });
    }
  }

  async function writeOnce(): Promise<void> {
    // Take what queued, up to about maxWrite bytes (always at least one caller's batch).
    const batch: Pending[] = [];
    let estimate = 0;
    while (pending.length > 0 && (batch.length === 0 || estimate < maxWrite)) {
      const p = pending.shift()!;
      batch.push(p);
      for (const r of p.records) estimate += r.text.length + LINE_OVERHEAD;
    }
    if (suspended || fd === null) {
      settle(batch, batch.map(() => 0));
      return;
    }
    try {
      await writeBatch(batch);
    } catch (e) {
      // Nothing here should throw; if it does, count the batch as not written rather than leave
      // its callers waiting forever.
      diskError('write', e as NodeJS.ErrnoException);
      settle(batch, batch.map(() => 0));
    }
  }

  async function writeBatch(batch: Pending[]): Promise<void> {
    if (fd === null) throw new Error('log file is not open');
    const ends: number[] = [];
    const lines: number[] = [];
    const { buf } = formatGroups(
      batch.map((p) => p.records),
      lineFormat,
      ends,
      lines,
      false,
      scratch,
    );
    const target = fd;
    const { bytes, error } = await writeAll(target, buf);
    let kept = bytes;
    if (kept < buf.length) {
      // Cut a torn last line back off so the log stays parseable.
      kept = kept > 0 ? buf.lastIndexOf(0x0a, kept - 1) + 1 : 0;
      if (kept < bytes) await ftruncateFd(target, logSize + kept).catch(() => {});
    }
    logSize += kept;
    st.bytesWritten += kept;
    const writtenPer = batch.map((_, g) => {
      const start = g === 0 ? 0 : ends[g - 1];
      if (ends[g] <= kept) return lines[g];
      if (start >= kept) return 0;
      let n = 0;
      for (let i = buf.indexOf(0x0a, start); i >= 0 && i < kept; i = buf.indexOf(0x0a, i + 1)) n++;
      return n;
    });
    const linesKept = writtenPer.reduce((a, b) => a + b, 0);

    if (error) {
      await fileError('write', error);
    } else {
      diskErrWarnings = 0;
      if (o.flush === 'incremental' || o.flush === 'incremental_async') {
        // auditd fsyncs when its record counter hits a multiple of freq; a batch may cross one.
        recordsSinceSync += linesKept;
        if (recordsSinceSync >= o.freq) {
          recordsSinceSync %= o.freq;
          if (o.flush === 'incremental') {
            try {
              await fsyncFd(target);
              st.fsyncs++;
            } catch (e) {
              diskError('fsync', e as NodeJS.ErrnoException);
            }
          } else kickAsyncFsync();
        }
      }
    }
    settle(batch, writtenPer);
    await checkSize();
    // statfs after every write cost a thread-pool round trip per small batch at moderate rates;
    // free space moves only by what we write, so look again after SPACE_CHECK_BYTES or
    // SPACE_CHECK_MS (a write into a full disk fails by itself and is handled as such).
    bytesSinceSpaceCheck += kept;
    const now = Date.now();
    if (bytesSinceSpaceCheck >= SPACE_CHECK_BYTES || now - spaceCheckedAt >= SPACE_CHECK_MS) {
      bytesSinceSpaceCheck = 0;
      spaceCheckedAt = now;
      await checkSpace();
    }
  }

  async function run(): Promise<void> {
    if (running) return;
    running = true;
    try {
      while (ops.length > 0 || pending.length > 0) {
        const op = ops.shift();
        if (op) await op();
        else await writeOnce();
      }
    } finally {
      running = false;
    }
  }

  function enqueueOp(fn: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      ops.push(() => fn().then(resolve, reject));
      void run();
    });
  }

  // ---- start: open, then auditd's start-up checks
  await openLive();
  if (fd === null) {
    // Fail start rather than run a daemon that cannot log: the core reports the reason.
    throw new Error(`cannot open log file ${o.logFile}; check that its directory exists and is writable`);
  }
  if (o.maxLogFileAction === 'rotate' && o.numLogs >= 2) {
    for (const name of await removeExcessLogs(o.logFile, o.numLogs)) warn(`log ${name} removed as it exceeds num_logs`);
  }
  await checkSize();
  await checkSpace();

  const sink: LogWriter = {
    write(records) {
      if (closed) return Promise.reject(new Error('log sink is closed'));
      const loggable = countLoggable(records);
      if (suspended && pending.length === 0) {
        // Nothing of ours is queued ahead of it: count it right away, no trip through the loop.
        st.notWritten += loggable;
        return Promise.resolve({ written: 0, notWritten: loggable });
      }
      return new Promise<WriteResult>((resolve) => {
        pending.push({ records, loggable, resolve });
        pendingRecords += records.length;
        void run();
      });
    },
    rotate() {
      return enqueueOp(() => rotateNow(o.maxLogFileAction === 'keep_logs'));
    },
    resume() {
      warn('attempting to resume logging');
      suspended = false;
      suspendReason = null;
      fsSpaceLeft = true;
      spaceWarning = false;
      adminSpaceWarning = false;
      diskErrWarnings = 0;
      sizeWarned = false;
      if (fd === null && !closed) {
        void enqueueOp(async () => {
          if (fd === null && (await openLive())) await checkSize();
        });
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await enqueueOp(async () => {
        while (pending.length > 0) await writeOnce();
        if (asyncSync) await asyncSync;
        if (fd !== null) {
          const f = fd;
          fd = null;
          try {
            await fsyncFd(f);
            st.fsyncs++;
          } catch (e) {
            diskError('fsync', e as NodeJS.ErrnoException);
          }
          await closeFd(f);
        }
      });
    },
    stats() {
      return {
        bytesWritten: st.bytesWritten,
        recordsWritten: st.recordsWritten,
        notWritten: st.notWritten,
        suspended,
        suspendReason,
        rotations: st.rotations,
        writeErrors: st.writeErrors,
        fsyncs: st.fsyncs,
        logSize,
        fd,
        spaceWarning,
        adminSpaceWarning,
        diskFull: !fsSpaceLeft,
        pendingRecords,
      };
    },
  };
  return sink;
}
