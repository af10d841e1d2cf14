// The queue between the input thread and the output side, and its high-water-mark throttle.
//
// The records themselves travel as transferred ArrayBuffers (postMessage); what is shared is the
// accounting: the input thread adds a batch's records/bytes BEFORE it posts the batch, the main
// thread subtracts them after the output side has taken the batch. Both sides see the same
// numbers (SharedArrayBuffer + Atomics), so the throttle is exact: under `block` the input thread
// stops calling recvmmsg once the queue is at queue_hwm records or queue_hwm_bytes, and sleeps on
// Atomics.wait until the main thread brings it down to the low-water mark. The queue can then
// hold at most queue_hwm records and queue_hwm_bytes + one receive batch of bytes.
import type { QueueOverflow } from './config.ts';

// Int32 slots (Atomics.wait needs Int32).
export const I = {
  RECORDS: 0,
  STOP: 1,
  PAUSED: 2,
  WAKE: 3,
  POLICY: 4,
  HWM: 5,
  LWM: 6,
  STATE: 7,
} as const;
const I_LEN = 8;

// BigInt64 slots: byte counts and monotonic counters that can pass 2^31.
export const B = {
  BYTES: 0,
  HWM_BYTES: 1,
  LWM_BYTES: 2,
  RECEIVED: 3,
  RECEIVED_BYTES: 4,
  DROPPED_QUEUE_FULL: 5,
  DROPPED_QUEUE_FULL_SYSCALL: 6,
  MALFORMED_SHORT: 7,
  MALFORMED_TRUNCATED: 8,
  MALFORMED_FOREIGN: 9,
  MALFORMED_UNKNOWN_TYPE: 10,
  RECV_ERRORS: 11,
  PAUSED_MS: 12,
  PAUSES: 13,
  MAX_RECORDS: 14,
  MAX_BYTES: 15,
  BATCHES: 16,
  DROPPED_QUEUE_FULL_BYTES: 17,
  RECEIVED_EOE: 18,
  RECEIVED_SYSCALL: 19,
} as const;
const B_LEN = 20;

export const POLICY_CODE: Record<QueueOverflow, number> = { block: 0, drop: 1, unbounded: 2 };
export const POLICY_NAME: QueueOverflow[] = ['block', 'drop', 'unbounded'];

export const WorkerState = { STARTING: 0, REGISTERED: 1, STOPPED: 2, FAILED: 3 } as const;

export interface QueueLimits {
  policy: QueueOverflow;
  hwm: number;
  lwm: number;
  hwmBytes: number;
  lwmBytes: number;
}

/** The shared accounting; construct from fresh buffers (main) or from the worker's copies. */
export class QueueState {
  readonly i32: Int32Array;
  readonly i64: BigInt64Array;

  constructor(readonly sabI32 = new SharedArrayBuffer(I_LEN * 4), readonly sabI64 = new SharedArrayBuffer(B_LEN * 8)) {
    this.i32 = new Int32Array(sabI32);
    this.i64 = new BigInt64Array(sabI64);
  }

  setLimits(l: QueueLimits): void {
    Atomics.store(this.i32, I.POLICY, POLICY_CODE[l.policy]);
    Atomics.store(this.i32, I.HWM, l.hwm);
    Atomics.store(this.i32, I.LWM, l.lwm);
    Atomics.store(this.i64, B.HWM_BYTES, BigInt(l.hwmBytes));
    Atomics.store(this.i64, B.LWM_BYTES, BigInt(l.lwmBytes));
    this.wake();
  }

  limits(): QueueLimits {
    return {
      policy: POLICY_NAME[Atomics.load(this.i32, I.POLICY)],
      hwm: Atomics.load(this.i32, I.HWM),
      lwm: Atomics.load(this.i32, I.LWM),
      hwmBytes: Number(Atomics.load(this.i64, B.HWM_BYTES)),
      lwmBytes: Number(Atomics.load(this.i64, B.LWM_BYTES)),
    };
  }

  records(): number { return Atomics.load(this.i32, I.RECORDS); }
  bytes(): number { return Number(Atomics.load(this.i64, B.BYTES)); }
  get(slot: number): number { return Number(Atomics.load(this.i64, slot)); }
  add(slot: number, n: number): void { if (n !== 0) Atomics.add(this.i64, slot, BigInt(n)); }

  /** input side: a batch enters the queue */
  enqueue(records: number, bytes: number): void {
    const r = Atomics.add(this.i32, I.RECORDS, records) + records;
    const b = Number(Atomics.add(this.i64, B.BYTES, BigInt(bytes))) + bytes;
    if (r > Number(this.i64[B.MAX_RECORDS])) Atomics.store(this.i64, B.MAX_RECORDS, BigInt(r));
    if (b > Number(this.i64[B.MAX_BYTES])) Atomics.store(this.i64, B.MAX_BYTES, BigInt(b));
  }

  /** output side: a batch has been written and dispatched; wake the input thread if it waits */
  dequeue(records: number, bytes: number): void {
    Atomics.sub(this.i32, I.RECORDS, records);
    Atomics.sub(this.i64, B.BYTES, BigInt(bytes));
    if (Atomics.load(this.i32, I.PAUSED) === 1) this.wake();
  }

  wake(): void {
    Atomics.add(this.i32, I.WAKE, 1);
    Atomics.notify(this.i32, I.WAKE);
  }

  requestStop(): void {
    Atomics.store(this.i32, I.STOP, 1);
    this.wake();
  }

  stopRequested(): boolean { return Atomics.load(this.i32, I.STOP) === 1; }
  paused(): boolean { return Atomics.load(this.i32, I.PAUSED) === 1; }
}

/** block: is the queue at its high-water mark (stop reading)? */
export function atHighWater(records: number, bytes: number, l: QueueLimits): boolean {
  return records >= l.hwm || bytes >= l.hwmBytes;
}

/** block: has the queue fallen to the low-water mark (resume reading)? */
export function atLowWater(records: number, bytes: number, l: QueueLimits): boolean {
  return records <= l.lwm && bytes <= l.lwmBytes;
}

/** block: how many datagrams the next receive may take so the record count never passes the HWM. */
export function receiveAllowance(records: number, l: QueueLimits, batch: number): number {
  if (l.policy !== 'block') return batch;
  return Math.max(1, Math.min(batch, l.hwm - records));
}

/**
 * drop: how many of `sizes` (in order) fit under the HWM given the current depth; the rest are
 * dropped. block and unbounded admit everything (block never reads past the HWM in the first place).
 */
export function admitCount(records: number, bytes: number, sizes: readonly number[], l: QueueLimits): number {
  if (l.policy !== 'drop') return sizes.length;
  let n = 0;
  let r = records;
  let b = bytes;
  for (const s of sizes) {
    if (r + 1 > l.hwm || b + s > l.hwmBytes) break;
    r += 1;
    b += s;
    n++;
  }
  return n;
}
