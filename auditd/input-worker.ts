// tsauditd's input thread: owns the event socket, registers as the audit daemon, receives
// batches with recvmmsg, decodes them and posts them to the main thread. It is a plain blocking
// loop (no event loop work): control comes through the shared QueueState (stop flag, limits) and
// the only waits are a 100 ms receive timeout and Atomics.wait while throttled.
import { parentPort, workerData } from 'node:worker_threads';
import { openAuditSocket, type NativeAuditSocket } from './native/audit-socket.ts';
import { classifyDatagram, packBatch, RECORD_HEADER } from './input-decode.ts';
import {
  admitCount, atHighWater, atLowWater, B, I, QueueState, receiveAllowance, WorkerState,
} from './queue.ts';
import { AuditMsg, encodeNlmsg, encodeStatus, NLM_F_ACK, NLM_F_REQUEST, StatusMask } from '../harness/kernel/codec.ts';

export interface InputWorkerData {
  sabI32: SharedArrayBuffer;
  sabI64: SharedArrayBuffer;
  pid: number;
  recvBufferBytes: number;
  recvBatch: number;
}

/** Messages the input thread posts. */
export type InputMessage =
  | { type: 'registered'; portId: number; rcvbuf: number }
  | { type: 'batch'; buf: ArrayBuffer; records: number; bytes: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string }
  | { type: 'stopped'; unregistered: boolean }
  | { type: 'failed'; msg: string; errno?: number };

/** Biggest datagram we accept: kernel records stay under ~9 KB (MAX_AUDIT_MESSAGE_LENGTH 8970). */
const SLOT = 16 * 1024;
const POLL_MS = 100;
const ACK_TIMEOUT_MS = 3000;
const SYSCALL = 1300;
const EOE = 1320;

const data = workerData as InputWorkerData;
const port = parentPort!;
const q = new QueueState(data.sabI32, data.sabI64);
const batchMax = data.recvBatch;
const rxBuf = new Uint8Array(SLOT * batchMax);
const lengths = new Uint32Array(batchMax);
const flags = new Uint32Array(batchMax);
const slices: number[] = new Array(batchMax * 3).fill(0);
const sizes: number[] = [];
let seq = 0;
let lastMalformedLog = 0;
let malformedSinceLog = 0;
/** datagrams taken by the last receiveOnce */
let lastCount = 0;

function post(m: InputMessage, transfer?: ArrayBuffer[]): void {
  port.postMessage(m, transfer ?? []);
}

/** Receive until the ack for `wantSeq` arrives, passing any events through. Returns -errno (0 = ok). */
function sendAndAwaitAck(sock: NativeAuditSocket, payloadType: number, payload: Buffer, drain: boolean): number {
  const mySeq = ++seq;
  sock.send(encodeNlmsg(payloadType, NLM_F_REQUEST | NLM_F_ACK, mySeq, payload));
  const deadline = Date.now() + ACK_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const ack = receiveOnce(sock, mySeq, drain);
    if (ack !== null) return ack;
  }
  return -1;
}

/**
 * One recvmmsg round: decode, account, post. Returns the errno of the ack for `wantSeq` when it
 * was in this round, else null. `force` admits past the HWM (final drain after unregistering:
 * the records are already ours, so they go to the log whatever the queue depth).
 */
function receiveOnce(sock: NativeAuditSocket, wantSeq: number, force: boolean, timeoutMs = POLL_MS): number | null {
  lastCount = 0;
  const limits = q.limits();
  const allowance = force ? batchMax : receiveAllowance(q.records(), limits, batchMax);
  let n: number;
  try {
    n = sock.recvBatch(rxBuf, SLOT, allowance, lengths, flags, timeoutMs);
  } catch (err) {
    q.add(B.RECV_ERRORS, 1);
    post({ type: 'log', level: 'error', msg: `receive failed, continuing: ${(err as Error).message}` });
    Atomics.wait(q.i32, I.WAKE, Atomics.load(q.i32, I.WAKE), 50); // no busy loop on a persistent error
    return null;
  }
  lastCount = n;
  if (n === 0) return null;
  let ack: number | null = null;
  let count = 0;
  sizes.length = 0;
  let syscalls = 0;
  let eoe = 0;
  let syscallsIn = 0;
  for (let i = 0; i < n; i++) {
    const off = i * SLOT;
    const d = classifyDatagram(rxBuf, off, lengths[i], flags[i]);
    if (d.kind === 'record') {
      slices[count * 3] = d.type;
      slices[count * 3 + 1] = d.start;
      slices[count * 3 + 2] = d.end;
      sizes.push(RECORD_HEADER + d.end - d.start);
      if (d.type === EOE) eoe++;
      else if (d.type === SYSCALL) syscallsIn++;
      count++;
    } else if (d.kind === 'ack') {
      if (d.seq === wantSeq) ack = -d.errno;
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
  if (count === 0) return ack;
  let received = 0;
  for (let i = 0; i < count; i++) received += sizes[i];
  q.add(B.RECEIVED, count);
  q.add(B.RECEIVED_BYTES, received);
  q.add(B.RECEIVED_EOE, eoe);
  q.add(B.RECEIVED_SYSCALL, syscallsIn);
  const admit = force ? count : admitCount(q.records(), q.bytes(), sizes, limits);
  if (admit < count) {
    let droppedBytes = 0;
    for (let i = admit; i < count; i++) {
      droppedBytes += sizes[i];
      if (slices[i * 3] === SYSCALL) syscalls++;
    }
    q.add(B.DROPPED_QUEUE_FULL, count - admit);
    q.add(B.DROPPED_QUEUE_FULL_BYTES, droppedBytes);
    q.add(B.DROPPED_QUEUE_FULL_SYSCALL, syscalls);
  }
  if (admit > 0) {
    const buf = packBatch(rxBuf, slices, admit);
    q.enqueue(admit, buf.byteLength);
    q.add(B.BATCHES, 1);
    post({ type: 'batch', buf, records: admit, bytes: buf.byteLength }, [buf]);
  }
  return ack;
}

/** block policy: stop reading at the HWM, sleep until the main thread brings the queue to the LWM. */
function throttle(): void {
  let limits = q.limits();
  if (limits.policy !== 'block' || !atHighWater(q.records(), q.bytes(), limits)) return;
  const t0 = Date.now();
  Atomics.store(q.i32, I.PAUSED, 1);
  q.add(B.PAUSES, 1);
  while (!q.stopRequested()) {
    limits = q.limits();
    if (limits.policy !== 'block' || atLowWater(q.records(), q.bytes(), limits)) break;
    Atomics.wait(q.i32, I.WAKE, Atomics.load(q.i32, I.WAKE), POLL_MS);
  }
  Atomics.store(q.i32, I.PAUSED, 0);
  q.add(B.PAUSED_MS, Date.now() - t0);
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
  const register = sendAndAwaitAck(sock, AuditMsg.SET, encodeStatus({ mask: StatusMask.PID, pid: data.pid }), false);
  if (register !== 0) {
    sock.close();
    Atomics.store(q.i32, I.STATE, WorkerState.FAILED);
    const why = register === -17 ? 'another audit daemon is registered (EEXIST); stop it first'
      : register === -1 ? `no answer from the kernel in ${ACK_TIMEOUT_MS} ms`
        : `kernel error ${-register}`;
    post({ type: 'failed', msg: `cannot register as the audit daemon: ${why}`, errno: -register });
    return;
  }
  Atomics.store(q.i32, I.STATE, WorkerState.REGISTERED);
  post({ type: 'registered', portId: sock.portId(), rcvbuf: sock.rcvbuf() });

  while (!q.stopRequested()) {
    throttle();
    if (q.stopRequested()) break;
    receiveOnce(sock, -1, false);
  }

  // Stop: unregister first so the kernel sends us nothing new, then take everything already in
  // our receive buffer (accepted by the kernel's send, so ours to write) until it is empty.
  const unreg = sendAndAwaitAck(sock, AuditMsg.SET, encodeStatus({ mask: StatusMask.PID, pid: 0 }), true);
  if (unreg !== 0) post({ type: 'log', level: 'error', msg: `unregister failed: ${unreg === -1 ? 'no answer' : `errno ${-unreg}`}` });
  do receiveOnce(sock, -1, true, 0); while (lastCount > 0);
  sock.close();
  Atomics.store(q.i32, I.STATE, WorkerState.STOPPED);
  post({ type: 'stopped', unregistered: unreg === 0 });
}

main();
