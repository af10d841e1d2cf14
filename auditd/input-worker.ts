// tsauditd's input thread: owns the event socket, registers as the audit daemon, receives
// batches with recvmmsg, decides per event what enters the queue, and posts what it admitted to
// the main thread. A plain blocking loop (no event loop work): control comes through the shared
// QueueState (stop flag, limits, credit), and written batch buffers come back on its port for
// reuse; it sleeps in poll() on the socket and a wake eventfd,
// so an idle daemon uses no CPU and a stop, new credit or a limit change wakes it at once.
//
// Nothing but the socket can hold this thread: it shares no lock with the writer, does no file
// I/O, and posts messages (which never block) to a main thread whose GC it does not share.
import { readlinkSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { openAuditSocket, WAIT_READABLE, type NativeAuditSocket } from './native/audit-socket.ts';
import { batchCapacity, classifyDatagram, NLMSG_HDRLEN, RECORD_HEADER, recordTextEnd, recordType } from './input-decode.ts';
import { admitsNewEvent, B, FLOOR_BYTES_PER_MS, I, intakePlan, QueueState, WorkerState, type IntakePlan } from './queue.ts';
import { EventGate, isAdmitted, isNewEvent, serialOf, stampMsOf } from './event-gate.ts';
import { AuditMsg, encodeNlmsg, encodeStatus, NLM_F_ACK, NLM_F_REQUEST, StatusMask } from '../harness/kernel/codec.ts';

export interface InputWorkerData {
  sabI32: SharedArrayBuffer;
  sabI64: SharedArrayBuffer;
  pid: number;
  recvBufferBytes: number;
  recvBatch: number;
  priorityBoost: number;
}

/** Messages the input thread posts. */
export type InputMessage =
  | { type: 'registered'; portId: number; rcvbuf: number; wakeFd: number; tid: number }
  /** `used` bytes of `buf` hold the records; `bytes` (its whole size) is what the queue counts */
  | { type: 'batch'; buf: SharedArrayBuffer; records: number; bytes: number; used: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string }
  /** the reserve is full and queue_full_action is halt */
  | { type: 'halt'; why: string }
  | { type: 'stopped'; unregistered: boolean }
  /** a counter changed while the main thread's stats timer slept (at most one per sleep) */
  | { type: 'changed' }
  | { type: 'failed'; msg: string; errno?: number };

/** Biggest datagram we accept: kernel records stay under ~9 KB (MAX_AUDIT_MESSAGE_LENGTH 8970). */
const SLOT = 16 * 1024;
const ACK_TIMEOUT_MS = 3000;
/** below the HWM, records are taken and posted at most this long after the first of them arrived:
 *  one wake-up, a few recvmmsg calls and one message per window instead of one per record. Most
 *  of a moderate rate's CPU is paid per window; well under kauditd's 100 ms send timeout. */
const COALESCE_MS = 40;
/**
 * Except the first record after a quiet spell (nothing arrived for QUIET_GAP_MS): it is posted
 * at once, with the rest of its event and what follows it closely (records that come within
 * QUIET_FOLLOW_MS of each other, for at most QUIET_FOLLOW_MAX_MS). A tool that makes an event and
 * then reads the log (ausearch right after the call, as audit-testsuite does) finds it there, as
 * with auditd, which writes each record as it reads it.
 *
 * The spell is the gap since the last arrival, not since the last post: audit-testsuite's
 * field_compare makes an event every 8 to 25 ms (auditctl -a, ausearch, auditctl -D, ...), under a
 * window's length apart, and "no post for one window" held each of them for the window, so the
 * search missed it. A sustained stream (2,000 events/s: records a fraction of a millisecond apart;
 * a 1 ms trickle) has no such gaps and is batched by the window as before: no more wake-ups or
 * posts per event.
 *
 * An arrival is the time of the read that took it, or the last record's own stamp plus
 * STAMP_SLACK_MS (its event time: the kernel's coarse clock lags by up to a tick, 4 ms at HZ=250)
 * when that is earlier. The thread sleeps through a window without watching the socket, and
 * drains it at the end in as many reads as it takes: what those reads take came at some time
 * during the window, and a burst that ended early in it would make the next event look like part
 * of the stream (audit-testsuite's auditctl -D, then auditctl -a 12 to 24 ms later).
 */
const QUIET_GAP_MS = 4;
/**
 * After a quiet-spell post the windows start short and double (2, 4, 8, 16, 32, then 40 ms): a
 * burst that starts right after one (a tool's next command, with every file it opens audited) is
 * posted in small batches while it lasts, so what comes a few ms into it (the event the tool then
 * searches for) waits neither for a whole window nor behind its formatting. A sustained stream
 * reaches 40 ms within 62 ms and stays there.
 */
const FIRST_WINDOW_MS = 2;
const QUIET_FOLLOW_MS = 1;
const QUIET_FOLLOW_MAX_MS = 2;
const STAMP_SLACK_MS = 6;
/** socket counters (SO_MEMINFO) are read at most this often */
const MEMINFO_MS = 50;
const SYSCALL = 1300;
const EOE = 1320;
/** an EOE (the end of a syscall event) or a record sent from user space (AUDIT_USER 1005,
 *  1100..1199, 2100..2999: AUDIT_FIRST_USER_MSG.., AUDIT_FIRST_USER_MSG2..), an event by itself */
const endsEvent = (type: number): boolean =>
  type === EOE || type === 1005 || (type >= 1100 && type < 1200) || (type >= 2100 && type < 3000);
/** room one more record needs in the socket's receive buffer: since 6.x the kernel accepts an skb
 *  only if it fits whole (rmem + truesize <= rcvbuf); a 9 KB record's skb is about 17-20 KiB of
 *  truesize. Raised to twice the largest truesize seen by the floor's own reads. */
let skbRoom = 40 * 1024;

const data = workerData as InputWorkerData;
const port = parentPort!;
const q = new QueueState(data.sabI32, data.sabI64);
const batchMax = data.recvBatch;
/** one buffer for the receive slots and the staging area behind them, so staging a record is a
 *  copyWithin (no view object per record) */
const rxBytes = SLOT * batchMax;
const mem = new Uint8Array(2 * rxBytes);
const rxBuf = mem.subarray(0, rxBytes);
const lengths = new Uint32Array(batchMax);
const flags = new Uint32Array(batchMax);
const gate = new EventGate();
let seq = 0;
let lastMalformedLog = 0;
let malformedSinceLog = 0;

function post(m: InputMessage): void {
  port.postMessage(m);
}

/** After a pass that may have changed counters: the main thread's stats timer sleeps while the
 *  daemon is idle, and most changes reach it as a batch anyway; this covers the rest (records
 *  all dropped, malformed data, socket counters), with one message per sleep. */
function noteChanged(): void {
  if (Atomics.load(q.i32, I.STATS_DORMANT) === 1 && Atomics.compareExchange(q.i32, I.STATS_DORMANT, 1, 0) === 1) {
    post({ type: 'changed' });
  }
}

// ---- staging: admitted records wait here (already counted in the queue) until posted
const stageCap = rxBytes;
const stage = mem.subarray(rxBytes);
const stageView = new DataView(mem.buffer, rxBytes, stageCap);
let stageUsed = 0;
let stageRecords = 0;
let stagedAt = 0;

function stageRecord(type: number, start: number, end: number): void {
  const len = end - start;
  if (stageUsed + RECORD_HEADER + len > stageCap) flushStage();
  if (stageRecords === 0) stagedAt = Date.now();
  stageView.setUint32(stageUsed, type, true);
  stageView.setUint32(stageUsed + 4, len, true);
  mem.copyWithin(rxBytes + stageUsed + RECORD_HEADER, start, end);
  stageUsed += RECORD_HEADER + len;
  stageRecords++;
}

/** Messages the main thread sends this thread (read without an event loop, receiveMessageOnPort). */
export interface ReturnMessage { type: 'return'; bufs: SharedArrayBuffer[] }

// ---- batch buffers: the main thread sends each one back once its records are written, and it
// is reused. A fresh buffer per batch would be garbage on the main thread until its next GC, and
// with big records that lag is megabytes of RSS that no queue count sees. They are shared
// (SharedArrayBuffer), not transferred: a message that carries a transferred buffer cost 5 to 12 us
// to receive in a micro-benchmark and about 50 us in the daemon at 2,000 events/s (thread CPU
// clock), twice per batch, against under 2 us for a shared one. Ownership is as with a transfer:
// the input thread writes a buffer only while it is spare, the main thread reads it only between
// the batch message and its return.
const spare = new Map<number, SharedArrayBuffer[]>();
let spareBytes = 0;
/** spare buffers kept at most (bytes); more are left to this thread's GC */
const SPARE_MAX = 4 * 1024 * 1024;

function takeReturned(): void {
  for (let r = receiveMessageOnPort(port); r; r = receiveMessageOnPort(port)) {
    const m = r.message as ReturnMessage;
    if (m.type !== 'return') continue;
    for (const b of m.bufs) {
      if (spareBytes + b.byteLength > SPARE_MAX) continue;
      let list = spare.get(b.byteLength);
      if (!list) spare.set(b.byteLength, list = []);
      list.push(b);
      spareBytes += b.byteLength;
    }
  }
}

function batchBuffer(capacity: number): SharedArrayBuffer {
  takeReturned();
  const b = spare.get(capacity)?.pop();
  if (!b) return new SharedArrayBuffer(capacity);
  spareBytes -= capacity;
  return b;
}

/**
 * Staged records are due for posting once the oldest has waited a window or the stage is half
 * full. The floor's reads (one record every few ms while the writer gives no credit) are posted
 * this way too: the writer is behind anyway, and a message per pass cost more than the pass.
 */
function stageDue(now: number, windowMs = COALESCE_MS): boolean {
  return stageRecords > 0 && (now - stagedAt >= windowMs || stageUsed >= stageCap / 2);
}

/** ms until the staged records are due by age (Infinity when nothing is staged) */
function untilStageDue(now: number, windowMs = COALESCE_MS): number {
  return stageRecords > 0 ? Math.max(0, windowMs - (now - stagedAt)) : Infinity;
}

/** Post what is staged as one batch, in a buffer of its size class (reused when one is spare). */
function flushStage(): void {
  if (stageRecords === 0) return;
  const capacity = batchCapacity(stageUsed);
  const buf = batchBuffer(capacity);
  new Uint8Array(buf, 0, stageUsed).set(stage.subarray(0, stageUsed));
  // the records were counted as they were admitted; the rest of the buffer is held memory too
  if (capacity > stageUsed) q.enqueue(0, capacity - stageUsed);
  post({ type: 'batch', buf, records: stageRecords, bytes: capacity, used: stageUsed });
  q.add(B.BATCHES, 1);
  q.add(B.POSTS, 1);
  stageUsed = 0;
  stageRecords = 0;
}

// ---- socket counters
let lastMeminfo = 0;
let dropsSeen = 0;
let lastDropWarn = 0;
let dropsAtWarn = 0;

function readMeminfo(sock: NativeAuditSocket, now: number): void {
  if (now - lastMeminfo < MEMINFO_MS) return;
  lastMeminfo = now;
  let m: [number, number, number];
  try {
    m = sock.meminfo();
  } catch {
    return;
  }
  q.set(B.SOCK_UNREAD, m[0]);
  q.set(B.SOCK_RCVBUF, m[1]);
  if (m[0] > q.get(B.SOCK_UNREAD_MAX)) q.set(B.SOCK_UNREAD_MAX, m[0]);
  q.set(B.SOCK_DROPS, m[2]);
  if (m[2] !== dropsSeen) {
    dropsSeen = m[2];
    if (now - lastDropWarn >= 1000) {
      post({ type: 'log', level: 'warn', msg: `the kernel's send to the event socket timed out ${m[2] - dropsAtWarn} more times (${m[2]} in all): ` +
        'kauditd moved records to its retry queue, which it may free without counting them in lost' });
      lastDropWarn = now;
      dropsAtWarn = m[2];
    }
  }
}

// ---- receiving
/** Outcome of one receive: datagrams taken, records/bytes admitted, the ack for wantSeq if seen,
 *  the event time of the last record taken (ms since the epoch, -1: none or no stamp) and its type. */
const got = { datagrams: 0, records: 0, bytes: 0, ack: null as number | null, stamp: -1, lastType: 0 };

/**
 * One recvmmsg of up to `max` datagrams (non-blocking): decode, decide per event, stage.
 * `force` admits every new event (the final drain after unregistering: the records are ours).
 */
function receive(sock: NativeAuditSocket, max: number, mode: IntakePlan['mode'], wantSeq: number, force: boolean): void {
  got.datagrams = 0; got.records = 0; got.bytes = 0; got.ack = null; got.stamp = -1; got.lastType = 0;
  let n: number;
  try {
    n = sock.recvBatch(rxBuf, SLOT, max, lengths, flags, 0);
  } catch (err) {
    q.add(B.RECV_ERRORS, 1);
    post({ type: 'log', level: 'error', msg: `receive failed, continuing: ${(err as Error).message}` });
    sock.wait(50, false); // no busy loop on a persistent error
    return;
  }
  got.datagrams = n;
  if (n === 0) return;
  const limits = q.limits();
  const suspended = Atomics.load(q.i32, I.SUSPENDED) === 1;
  let received = 0; let receivedBytes = 0; let eoe = 0; let syscalls = 0;
  let dropped = 0; let droppedBytes = 0; let droppedSyscalls = 0; let droppedEvents = 0;
  let lastStart = 0; let lastEnd = 0; let lastType = 0;
  const records0 = q.records();
  const bytes0 = q.bytes();
  for (let i = 0; i < n; i++) {
    const off = i * SLOT;
    const len = lengths[i];
    // records take the fast path (numbers only); everything else is classified in full
    const type = recordType(rxBuf, off, len, flags[i]);
    const d = type !== 0 ? null : classifyDatagram(rxBuf, off, len, flags[i]);
    if (d === null || d.kind === 'record') {
      const rtype = d === null ? type : d.type;
      const start = off + NLMSG_HDRLEN;
      const end = d === null ? recordTextEnd(rxBuf, off, len) : d.end;
      const size = RECORD_HEADER + end - start;
      lastStart = start;
      lastEnd = end;
      lastType = rtype;
      received++;
      receivedBytes += size;
      if (rtype === EOE) eoe++;
      else if (rtype === SYSCALL) syscalls++;
      const room = force || admitsNewEvent(mode, records0 + got.records, bytes0 + got.bytes, size, limits, suspended);
      const g = gate.decide(serialOf(rxBuf, start, end), rtype === EOE, room);
      if (isAdmitted(g)) {
        stageRecord(rtype, start, end);
        got.records++;
        got.bytes += size;
      } else {
        dropped++;
        droppedBytes += size;
        if (rtype === SYSCALL) droppedSyscalls++;
        if (isNewEvent(g)) droppedEvents++;
      }
    } else if (d.kind === 'ack') {
      if (d.seq === wantSeq) got.ack = -d.errno;
    } else if (d.kind === 'malformed') {
      q.add(d.reason === 'short' ? B.MALFORMED_SHORT : d.reason === 'truncated' ? B.MALFORMED_TRUNCATED
        : d.reason === 'foreign' ? B.MALFORMED_FOREIGN : B.MALFORMED_UNKNOWN_TYPE, 1);
      malformedSinceLog++;
      const now = Date.now();
      if (now - lastMalformedLog >= 1000) {
        post({ type: 'log', level: 'warn', msg: `malformed netlink data (${d.reason}): ${d.detail}; ${malformedSinceLog} since last report` });
        lastMalformedLog = now;
        malformedSinceLog = 0;
      }
    }
  }
  if (received === 0) return;
  got.stamp = stampMsOf(rxBuf, lastStart, lastEnd);
  got.lastType = lastType;
  q.add(B.RECEIVED, received);
  q.add(B.RECEIVED_BYTES, receivedBytes);
  q.add(B.RECEIVED_EOE, eoe);
  q.add(B.RECEIVED_SYSCALL, syscalls);
  if (dropped > 0) {
    q.add(B.DROPPED_QUEUE_FULL, dropped);
    q.add(B.DROPPED_QUEUE_FULL_BYTES, droppedBytes);
    q.add(B.DROPPED_QUEUE_FULL_SYSCALL, droppedSyscalls);
    q.add(B.DROPPED_EVENTS_QUEUE_FULL, droppedEvents);
  }
  if (got.records > 0) q.enqueue(got.records, got.bytes);
  if (mode === 'credit') q.add(B.READS_CREDIT, 1);
  else if (mode === 'floor') q.add(B.READS_FLOOR, 1);
  else if (mode === 'full') q.add(B.READS_FULL, 1);
}

/** Send a request and receive until its ack arrives, admitting any records. Returns -errno (0 = ok). */
function sendAndAwaitAck(sock: NativeAuditSocket, payloadType: number, payload: Buffer): number {
  const mySeq = ++seq;
  sock.send(encodeNlmsg(payloadType, NLM_F_REQUEST | NLM_F_ACK, mySeq, payload));
  const deadline = Date.now() + ACK_TIMEOUT_MS;
  for (let left = ACK_TIMEOUT_MS; left > 0; left = deadline - Date.now()) {
    if ((sock.wait(left, true) & WAIT_READABLE) === 0) continue;
    receive(sock, batchMax, 'free', mySeq, true);
    if (got.ack !== null) return got.ack;
  }
  return -1;
}

// ---- the paced intake
let paused = false;
let pausedSince = 0;

function setPaused(p: boolean): void {
  if (p === paused) return;
  paused = p;
  Atomics.store(q.i32, I.PAUSED, p ? 1 : 0);
  if (p) {
    pausedSince = Date.now();
    q.add(B.PAUSES, 1);
  } else q.add(B.PAUSED_MS, Date.now() - pausedSince);
}

function intakeLoop(sock: NativeAuditSocket): void {
  let creditRecords = 0;
  let creditBytes = 0;
  let lastReadAt = Date.now();
  /** when the newest record read so far arrived (estimated: see STAMP_SLACK_MS) */
  let lastArrivalAt = lastReadAt;
  /** the current window's length (see FIRST_WINDOW_MS) */
  let windowMs = COALESCE_MS;
  const noteArrival = () => {
    lastReadAt = Date.now();
    lastArrivalAt = got.stamp >= 0 ? Math.min(lastReadAt, got.stamp + STAMP_SLACK_MS) : lastReadAt;
  };
  /** the last free read filled its batch: more is waiting, read on without a pause */
  let lastReadFull = false;
  /** when the last free read emptied the socket (0: it has not, or reads since were paced) */
  let emptiedAt = 0;
  /** How long the socket may be left alone once emptied: the time it takes to fill half of it at
   *  the rate it filled before the last read, growing at most twofold a read. A window is well
   *  under kauditd's 100 ms, but a small buffer and big records fill in a few ms, and kauditd's
   *  send then waits for the rest of it. Short after paced reads: kauditd's backlog is full then,
   *  and it sends all of it at once. */
  let leaveMs = FIRST_WINDOW_MS;
  const readFree = (n: number) => {
    const ms = emptiedAt > 0 ? Date.now() - emptiedAt : 0;
    if (ms >= 1) {
      const [unread, rcvbuf] = meminfoOf(sock);
      const fillMs = unread > 0 ? ms * rcvbuf / 2 / unread : Infinity;
      leaveMs = Math.max(1, Math.min(COALESCE_MS, 2 * leaveMs, fillMs));
    }
    receive(sock, n, 'free', -1, false);
    lastReadFull = got.datagrams === n;
    emptiedAt = lastReadFull ? 0 : Date.now();
    if (got.datagrams > 0) noteArrival();
  };
  let pausing = false;
  let fullSince = 0;
  /** the floor's byte pace (FLOOR_BYTES_PER_MS) after its last pass */
  let floorPaceMs = 0;
  let lastPass = Date.now();
  while (!q.stopRequested()) {
    const now = Date.now();
    if (paused && now - lastPass > q.get(B.MAX_PACED_GAP_MS)) q.set(B.MAX_PACED_GAP_MS, now - lastPass);
    lastPass = now;
    readMeminfo(sock, now);
    const limits = q.limits();
    const c = q.takeCredit();
    creditRecords += c.records;
    creditBytes += c.bytes;
    let plan = intakePlan({
      records: q.records(), bytes: q.bytes(), creditRecords, creditBytes, msSinceRead: now - lastReadAt, floorPaceMs, pausing,
    }, limits, batchMax);
    // suspend holds until SIGUSR2: read everything, admit no new event
    if (Atomics.load(q.i32, I.SUSPENDED) === 1 && plan.mode !== 'free') plan = { mode: 'full', n: batchMax };
    if (plan.mode !== 'free') {
      emptiedAt = 0;
      leaveMs = FIRST_WINDOW_MS;
    }
    if (plan.mode === 'wait') {
      if (stageDue(now)) flushStage();
      setPaused(true);
      if (limits.policy === 'pause') pausing = true;
      noteChanged();
      sock.wait(Math.max(1, Math.ceil(Math.min(plan.ms, untilStageDue(now)))), false);
      continue;
    }
    pausing = false;
    setPaused(plan.mode !== 'free');
    if (plan.mode === 'full') {
      if (fullSince === 0) {
        fullSince = now;
        reportFull(limits.fullAction);
      }
    } else fullSince = 0;
    if (plan.mode === 'floor') {
      floorPaceMs = floorRead(sock, plan.n) / FLOOR_BYTES_PER_MS;
      noteArrival();
      if (stageDue(Date.now())) flushStage();
      continue;
    }
    floorPaceMs = 0;
    if (plan.mode === 'free') {
      // Below the HWM: sleep in poll() until the first record arrives, then leave the socket alone
      // for the rest of the coalescing window (only a wake: stop, limits, suspend) and take
      // everything that came meanwhile in a few full recvmmsg calls, posted as one batch. A wake-up
      // per record (kauditd sends them one by one) costs more than the record. Never near the
      // 100 ms kauditd's send waits, and only while the buffer has room: a full read goes on
      // reading at once, and within a window the socket is read again before it is half full
      // (leaveMs); what those reads take is posted at the window's end.
      if (stageRecords > 0 && !lastReadFull) {
        const left = Math.min(untilStageDue(now, windowMs), emptiedAt + leaveMs - now);
        if (left > 0) {
          noteChanged();
          sock.wait(Math.ceil(left), false);
          continue;
        }
      } else if (stageRecords === 0) {
        noteChanged();
        if ((sock.wait(-1, true) & WAIT_READABLE) === 0) continue;
      }
      const quiet = stageRecords === 0 && Date.now() - lastArrivalAt >= QUIET_GAP_MS;
      readFree(plan.n);
      if (quiet && stageRecords > 0) {
        // the rest of the quiet spell's first event (kauditd sends its records one by one) and what
        // follows it closely; an EOE last with nothing behind it ends a syscall event, and a record
        // from user space is an event by itself: post it now
        const until = Date.now() + QUIET_FOLLOW_MAX_MS;
        for (let left = QUIET_FOLLOW_MAX_MS; !lastReadFull && !endsEvent(got.lastType) && left > 0; left = until - Date.now()) {
          if ((sock.wait(Math.min(QUIET_FOLLOW_MS, left), true) & WAIT_READABLE) === 0) break;
          readFree(plan.n);
        }
      }
      // below the HWM credit means nothing: it is what the writer did since this read
      creditRecords = 0;
      creditBytes = 0;
      if (stageUsed >= stageCap / 2 || (!lastReadFull && (quiet ? stageRecords > 0 : stageDue(Date.now(), windowMs)))) {
        if (quiet) {
          q.add(B.PROMPT_POSTS, 1);
          windowMs = FIRST_WINDOW_MS;
        } else windowMs = Math.min(COALESCE_MS, 2 * windowMs);
        flushStage();
      }
      continue;
    }
    lastReadFull = false;
    flushStage(); // what the free reads staged: the writer's credit comes from it
    noteChanged();
    const r = sock.wait(-1, true);
    if (r & WAIT_READABLE) {
      receive(sock, plan.n, plan.mode, -1, false);
      if (got.datagrams > 0) noteArrival();
      if (plan.mode === 'credit') {
        creditRecords -= got.records;
        creditBytes -= got.bytes;
      }
    }
    flushStage();
  }
  flushStage();
  setPaused(false);
}

/**
 * The liveness floor, one pass every `queue_floor_ms` while the writer gives no credit: kauditd's
 * send waits only while our receive buffer is too full for the skb it holds, so take one record
 * (its skb's truesize is then free) unless the buffer has room for the largest record. One record
 * a pass and a short period, rather than a few records a pass and a long one: each pass lets a
 * send through, and between passes the kernel's backlog stays over its limit once a caller has
 * refilled it, which is when a caller whose backlog_wait_time runs out loses its record (the
 * kernel wakes one waiter per pass of its queue, so the others time out; see docs/tsauditd.md).
 * Room is bytes: small records ahead of a big one free a little each pass, and the big one's
 * send goes through after a few passes, well inside kauditd's 100 ms. Returns the bytes taken
 * (the next pass waits for them at FLOOR_BYTES_PER_MS).
 */
function floorRead(sock: NativeAuditSocket, max: number): number {
  if (max <= 0) return 0;
  const before = meminfoOf(sock);
  if (before[0] + skbRoom <= before[1]) return 0;
  receive(sock, 1, 'floor', -1, false);
  if (got.datagrams === 0) return 0;
  // without an arrival meanwhile, the read freed its skb's truesize
  const freed = before[0] - meminfoOf(sock)[0];
  if (2 * freed > skbRoom) skbRoom = 2 * freed;
  return got.bytes;
}

function meminfoOf(sock: NativeAuditSocket): [number, number, number] {
  try {
    return sock.meminfo();
  } catch {
    return [Number.MAX_SAFE_INTEGER, 0, 0];
  }
}

function reportFull(action: string): void {
  const what = 'queue and reserve full (the writer has not finished a record for a while)';
  if (action === 'halt') {
    post({ type: 'halt', why: what });
  } else if (action === 'suspend') {
    Atomics.store(q.i32, I.SUSPENDED, 1);
    post({ type: 'log', level: 'warn', msg: `${what}: queue_full_action suspend, new events are dropped (counted) until SIGUSR2` });
  } else if (action === 'keep') {
    post({ type: 'log', level: 'warn', msg: `${what}: queue_full_action keep, reading on into memory without limit` });
  } else {
    post({ type: 'log', level: 'warn', msg: `${what}: queue_full_action drop, new events are dropped (counted) while it lasts` });
  }
}

/** this thread's kernel task id (for per-thread CPU and wake-up figures in /proc), -1 unknown */
function threadId(): number {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return -1;
  }
}

function main(): void {
  let sock: NativeAuditSocket;
  try {
    sock = openAuditSocket(data.recvBufferBytes);
  } catch (err) {
    Atomics.store(q.i32, I.STATE, WorkerState.FAILED);
    post({ type: 'failed', msg: `cannot open the audit socket: ${(err as Error).message}`, errno: (err as { errno?: number }).errno });
    return;
  }
  const register = sendAndAwaitAck(sock, AuditMsg.SET, encodeStatus({ mask: StatusMask.PID, pid: data.pid }));
  if (register !== 0) {
    sock.close();
    Atomics.store(q.i32, I.STATE, WorkerState.FAILED);
    const why = register === -17 ? 'another audit daemon is registered (EEXIST); stop it first'
      : register === -1 ? `no answer from the kernel in ${ACK_TIMEOUT_MS} ms`
        : `kernel error ${-register}`;
    post({ type: 'failed', msg: `cannot register as the audit daemon: ${why}`, errno: -register });
    return;
  }
  flushStage();
  if (data.priorityBoost > 0) {
    try {
      sock.boostThread(data.priorityBoost);
    } catch (err) {
      post({ type: 'log', level: 'warn', msg: `priority_boost ${data.priorityBoost} not applied to the input thread: ${(err as Error).message}` });
    }
  }
  Atomics.store(q.i32, I.WAKE_FD, sock.wakeFd());
  Atomics.store(q.i32, I.STATE, WorkerState.REGISTERED);
  post({ type: 'registered', portId: sock.portId(), rcvbuf: sock.rcvbuf(), wakeFd: sock.wakeFd(), tid: threadId() });
  readMeminfo(sock, Date.now());

  intakeLoop(sock);

  // Stop: unregister first so the kernel sends us nothing new, then take everything already in
  // our receive buffer (accepted by the kernel's send, so ours to write) until it is empty.
  const unreg = sendAndAwaitAck(sock, AuditMsg.SET, encodeStatus({ mask: StatusMask.PID, pid: 0 }));
  if (unreg !== 0) post({ type: 'log', level: 'error', msg: `unregister failed: ${unreg === -1 ? 'no answer' : `errno ${-unreg}`}` });
  do receive(sock, batchMax, 'free', -1, true); while (got.datagrams > 0);
  flushStage();
  lastMeminfo = 0;
  readMeminfo(sock, Date.now());
  // the main thread closes the wake eventfd once this thread has exited (a late wake must not
  // hit a descriptor number reused by then)
  sock.close(true);
  Atomics.store(q.i32, I.STATE, WorkerState.STOPPED);
  post({ type: 'stopped', unregistered: unreg === 0 });
}

main();
