// The queue between the input thread and the output side, and its intake policy.
//
// The records themselves travel in batch buffers (SharedArrayBuffers, posted and sent back);
// what is shared is the accounting: the input thread adds a batch's records/bytes when it takes
// them from the socket, the main thread subtracts them after the output side has taken the
// batch, and adds what it finished to the CREDIT counters. Both sides see the same numbers
// (SharedArrayBuffer + Atomics).
//
// `block` paces the intake instead of stopping it (see intakePlan): below the HWM the input
// thread reads freely; at the HWM it reads only as many records as the writer finished since its
// last read (credit), and when no credit came for floorMs it reads one record anyway into a
// bounded reserve (again every floorMs while none comes), so the kernel's send to our socket
// never waits the 100 ms after which kauditd gives up on it (and, on kernels booted without
// audit=1, later frees records uncounted). The kernel's backlog then fills and the audited
// callers wait in audit_log_start. Only when the reserve is full too (the writer has stopped)
// does queue_full_action apply.
import type { QueueFullAction, QueueOverflow } from './config.ts';

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
  RESERVE: 8,
  FULL_ACTION: 9,
  FLOOR_MS: 10,
  /** 1 while queue_full_action suspend holds (until SIGUSR2) */
  SUSPENDED: 11,
  /** the input thread's wake eventfd, -1 before it exists (main writes to it to wake the thread) */
  WAKE_FD: 12,
  /** 1 while the main thread's stats timer sleeps (an idle daemon): the input thread posts a
   *  'changed' message once when it next changes a counter, and clears this */
  STATS_DORMANT: 13,
} as const;
const I_LEN = 14;

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
  /** whole events (distinct serials) dropped by the queue policy */
  DROPPED_EVENTS_QUEUE_FULL: 20,
  /** records / bytes the output side finished since the input thread last took the credit */
  CREDIT_RECORDS: 21,
  CREDIT_BYTES: 22,
  RESERVE_BYTES: 23,
  /** SO_MEMINFO of the event socket: its receive buffer size, unread bytes now / at most, drops */
  SOCK_RCVBUF: 24,
  SOCK_UNREAD: 25,
  SOCK_UNREAD_MAX: 26,
  SOCK_DROPS: 27,
  /** reads by kind: paced by credit, liveness floor into the reserve, with the reserve full */
  READS_CREDIT: 28,
  READS_FLOOR: 29,
  READS_FULL: 30,
  /** messages (batches) posted to the main thread */
  POSTS: 31,
  /** longest the input thread went between two passes of its loop while pacing at the HWM (ms):
   *  kauditd's send gives up after 100 ms */
  MAX_PACED_GAP_MS: 32,
  /** posts made at once for the first record after a quiet spell, not after the coalescing window */
  PROMPT_POSTS: 33,
} as const;
const B_LEN = 34;

export const POLICY_CODE: Record<QueueOverflow, number> = { block: 0, drop: 1, unbounded: 2, pause: 3 };
export const POLICY_NAME: QueueOverflow[] = ['block', 'drop', 'unbounded', 'pause'];
export const FULL_ACTION_CODE: Record<QueueFullAction, number> = { drop: 0, suspend: 1, halt: 2, keep: 3 };
export const FULL_ACTION_NAME: QueueFullAction[] = ['drop', 'suspend', 'halt', 'keep'];

export const WorkerState = { STARTING: 0, REGISTERED: 1, STOPPED: 2, FAILED: 3 } as const;

export interface QueueLimits {
  policy: QueueOverflow;
  hwm: number;
  lwm: number;
  hwmBytes: number;
  lwmBytes: number;
  /** block: records / bytes the liveness floor may read past the HWM */
  reserve: number;
  reserveBytes: number;
  /** block: what happens to new events once the reserve is full too */
  fullAction: QueueFullAction;
  /** block: read a few records anyway when no credit came for this long (well under 100 ms) */
  floorMs: number;
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
    Atomics.store(this.i32, I.RESERVE, l.reserve);
    Atomics.store(this.i64, B.RESERVE_BYTES, BigInt(l.reserveBytes));
    Atomics.store(this.i32, I.FULL_ACTION, FULL_ACTION_CODE[l.fullAction]);
    Atomics.store(this.i32, I.FLOOR_MS, l.floorMs);
    this.wake();
  }

  limits(): QueueLimits {
    return {
      policy: POLICY_NAME[Atomics.load(this.i32, I.POLICY)],
      hwm: Atomics.load(this.i32, I.HWM),
      lwm: Atomics.load(this.i32, I.LWM),
      hwmBytes: Number(Atomics.load(this.i64, B.HWM_BYTES)),
      lwmBytes: Number(Atomics.load(this.i64, B.LWM_BYTES)),
      reserve: Atomics.load(this.i32, I.RESERVE),
      reserveBytes: Number(Atomics.load(this.i64, B.RESERVE_BYTES)),
      fullAction: FULL_ACTION_NAME[Atomics.load(this.i32, I.FULL_ACTION)],
      floorMs: Atomics.load(this.i32, I.FLOOR_MS),
    };
  }

  records(): number { return Atomics.load(this.i32, I.RECORDS); }
  bytes(): number { return Number(Atomics.load(this.i64, B.BYTES)); }
  get(slot: number): number { return Number(Atomics.load(this.i64, slot)); }
  add(slot: number, n: number): void { if (n !== 0) Atomics.add(this.i64, slot, BigInt(n)); }
  set(slot: number, n: number): void { Atomics.store(this.i64, slot, BigInt(n)); }
  /** the input thread takes the credit (records, bytes) the output side built up since its last read */
  takeCredit(): { records: number; bytes: number } {
    return {
      records: Number(Atomics.exchange(this.i64, B.CREDIT_RECORDS, 0n)),
      bytes: Number(Atomics.exchange(this.i64, B.CREDIT_BYTES, 0n)),
    };
  }
  creditRecords(): number { return Number(Atomics.load(this.i64, B.CREDIT_RECORDS)); }

  /** input side: a batch enters the queue */
  enqueue(records: number, bytes: number): void {
    const r = Atomics.add(this.i32, I.RECORDS, records) + records;
    const b = Number(Atomics.add(this.i64, B.BYTES, BigInt(bytes))) + bytes;
    if (r > Number(this.i64[B.MAX_RECORDS])) Atomics.store(this.i64, B.MAX_RECORDS, BigInt(r));
    if (b > Number(this.i64[B.MAX_BYTES])) Atomics.store(this.i64, B.MAX_BYTES, BigInt(b));
  }

  /**
   * output side: a batch has been written and dispatched. It becomes credit for the paced intake;
   * a paced input thread is woken when that credit is worth a read (a full receive batch) or the
   * queue is down to the LWM, else its own floor timer picks the credit up.
   */
  dequeue(records: number, bytes: number, wakeBatch = 64): void {
    const r = Atomics.sub(this.i32, I.RECORDS, records) - records;
    const b = Number(Atomics.sub(this.i64, B.BYTES, BigInt(bytes))) - bytes;
    const credit = Number(Atomics.add(this.i64, B.CREDIT_RECORDS, BigInt(records))) + records;
    Atomics.add(this.i64, B.CREDIT_BYTES, BigInt(bytes));
    if (Atomics.load(this.i32, I.PAUSED) === 1 &&
        (credit >= wakeBatch || (r <= Atomics.load(this.i32, I.LWM) && b <= Number(Atomics.load(this.i64, B.LWM_BYTES))))) {
      this.wake();
    }
  }

  /** Wake the input thread: Atomics for a thread in Atomics.wait, the eventfd for one in poll(). */
  wake(): void {
    Atomics.add(this.i32, I.WAKE, 1);
    Atomics.notify(this.i32, I.WAKE);
    this.wakeFd?.(Atomics.load(this.i32, I.WAKE_FD));
  }

  /** main thread: how to write the input thread's eventfd (set once it exists) */
  wakeFd: ((fd: number) => void) | null = null;

  requestStop(): void {
    Atomics.store(this.i32, I.STOP, 1);
    this.wake();
  }

  stopRequested(): boolean { return Atomics.load(this.i32, I.STOP) === 1; }
  paused(): boolean { return Atomics.load(this.i32, I.PAUSED) === 1; }
}

/** at the high-water mark (records or bytes)? */
export function atHighWater(records: number, bytes: number, l: QueueLimits): boolean {
  return records >= l.hwm || bytes >= l.hwmBytes;
}

/** at or below the low-water mark (records and bytes)? */
export function atLowWater(records: number, bytes: number, l: QueueLimits): boolean {
  return records <= l.lwm && bytes <= l.lwmBytes;
}


/**
 * What the input thread does next:
 * - free:   read up to n records, waiting on the socket as long as it takes
 * - credit: at the HWM; read up to n (the writer finished that many since the last read)
 * - floor:  at the HWM, no credit for floorMs: read one record into the reserve (n: room left)
 * - full:   the reserve is full too: read up to n, queue_full_action decides on new events
 * - wait:   sleep up to ms (woken early by credit, the LWM, a limit change or stop); read nothing
 * `pausing`: the old `pause` policy is between its HWM and LWM.
 */
export type IntakePlan =
  | { mode: 'free' | 'credit' | 'floor' | 'full'; n: number }
  | { mode: 'wait'; ms: number };

export interface IntakeState {
  records: number;
  bytes: number;
  /** credit the input thread holds: records / bytes finished by the writer, not yet replaced */
  creditRecords: number;
  creditBytes: number;
  /** since the last read that took records */
  msSinceRead: number;
  /** the floor's byte pace: the last floor pass's bytes at FLOOR_BYTES_PER_MS (0: none) */
  floorPaceMs?: number;
  pausing: boolean;
}

/** The liveness floor takes at most about 1 MiB a second: big records (an 8 KiB one every 8 ms)
 *  would otherwise fill the reserve at a record per queue_floor_ms while the writer stalls. */
export const FLOOR_BYTES_PER_MS = 1024 * 1024 / 1000;

export function intakePlan(s: IntakeState, l: QueueLimits, batch: number): IntakePlan {
  if (l.policy === 'drop' || l.policy === 'unbounded') return { mode: 'free', n: batch };
  if (l.policy === 'pause') {
    if (s.pausing ? !atLowWater(s.records, s.bytes, l) : atHighWater(s.records, s.bytes, l)) return { mode: 'wait', ms: 100 };
    return { mode: 'free', n: Math.max(1, Math.min(batch, l.hwm - s.records)) };
  }
  if (!atHighWater(s.records, s.bytes, l)) return { mode: 'free', n: Math.max(1, Math.min(batch, l.hwm - s.records)) };
  if (s.creditRecords > 0 && s.creditBytes > 0) return { mode: 'credit', n: Math.min(batch, s.creditRecords) };
  if (s.records >= l.hwm + l.reserve || s.bytes >= l.hwmBytes + l.reserveBytes) {
    return { mode: 'full', n: batch };
  }
  const floorAfter = Math.max(l.floorMs, s.floorPaceMs ?? 0);
  if (s.msSinceRead < floorAfter) return { mode: 'wait', ms: floorAfter - s.msSinceRead };
  // one record a pass (the input thread reads none while the socket has room for the largest
  // record); n is the room left in the reserve
  return { mode: 'floor', n: Math.min(batch, l.hwm + l.reserve - s.records) };
}

/**
 * May a NEW event be admitted? (Records of an event already decided follow its decision.)
 * drop: only while the record fits under the HWM; block: unless the reserve is full and
 * queue_full_action is not keep, or suspend holds.
 */
export function admitsNewEvent(mode: IntakePlan['mode'], records: number, bytes: number, size: number, l: QueueLimits, suspended: boolean): boolean {
  if (suspended) return false;
  if (l.policy === 'drop') return records + 1 <= l.hwm && bytes + size <= l.hwmBytes;
  if (mode === 'full') return l.fullAction === 'keep';
  return true;
}
