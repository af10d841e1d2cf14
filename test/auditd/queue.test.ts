import t from 'tap';
import { Worker } from 'node:worker_threads';
import {
  admitsNewEvent, atHighWater, atLowWater, B, FLOOR_BYTES_PER_MS, I, intakePlan, QueueState, type IntakeState, type QueueLimits,
} from '../../auditd/queue.ts';

const block: QueueLimits = {
  policy: 'block', hwm: 100, lwm: 50, hwmBytes: 10000, lwmBytes: 5000, reserve: 40, reserveBytes: 4000, fullAction: 'drop', floorMs: 25,
};
const drop: QueueLimits = { ...block, policy: 'drop' };
const unbounded: QueueLimits = { ...block, policy: 'unbounded' };
const pause: QueueLimits = { ...block, policy: 'pause' };
const st = (o: Partial<IntakeState>): IntakeState => ({ records: 0, bytes: 0, creditRecords: 0, creditBytes: 0, msSinceRead: 0, pausing: false, ...o });

t.test('high and low water, records and bytes', async (t) => {
  t.notOk(atHighWater(99, 9999, block));
  t.ok(atHighWater(100, 0, block), 'records reach the hwm');
  t.ok(atHighWater(0, 10000, block), 'bytes reach the hwm');
  t.ok(atLowWater(50, 5000, block));
  t.notOk(atLowWater(51, 0, block), 'hysteresis: above lwm records');
  t.notOk(atLowWater(0, 5001, block), 'hysteresis: above lwm bytes');
});

t.test('block below the HWM reads freely, never past the HWM in records', async (t) => {
  t.same(intakePlan(st({}), block, 64), { mode: 'free', n: 64 });
  t.same(intakePlan(st({ records: 90 }), block, 64), { mode: 'free', n: 10 });
  t.same(intakePlan(st({ records: 90, creditRecords: 500, creditBytes: 5000 }), block, 64), { mode: 'free', n: 10 }, 'credit does not matter below the HWM');
});

t.test('block at the HWM: credit, then the liveness floor, then full; never "stop reading"', async (t) => {
  t.same(intakePlan(st({ records: 100, creditRecords: 30, creditBytes: 300 }), block, 64), { mode: 'credit', n: 30 }, 'as many as the writer finished');
  t.same(intakePlan(st({ records: 100, creditRecords: 300, creditBytes: 3000 }), block, 64), { mode: 'credit', n: 64 }, 'at most one batch per read');
  t.same(intakePlan(st({ bytes: 10000, creditRecords: 5, creditBytes: -20 }), block, 64), { mode: 'wait', ms: 25 }, 'byte credit used up: no credit read');
  t.same(intakePlan(st({ records: 100, msSinceRead: 10 }), block, 64), { mode: 'wait', ms: 15 }, 'no credit yet: wait for it, until the floor');
  t.same(intakePlan(st({ records: 100, msSinceRead: 25 }), block, 64), { mode: 'floor', n: 40 }, 'floor: one record into the reserve (n: the room left, at most a batch)');
  t.same(intakePlan(st({ records: 136, msSinceRead: 30 }), block, 64), { mode: 'floor', n: 4 }, 'floor never reads past the reserve');
  // the floor's byte pace: after a pass that took an 8 KiB record, the next waits 8 ms (1 MiB/s),
  // longer than floorMs; after a small one, floorMs rules
  const pace = 8192 / FLOOR_BYTES_PER_MS;
  t.same(intakePlan(st({ records: 100, msSinceRead: 25, floorPaceMs: 40 }), block, 64), { mode: 'wait', ms: 15 }, 'a big pass: wait out its pace');
  t.same(intakePlan(st({ records: 100, msSinceRead: 40, floorPaceMs: 40 }), block, 64), { mode: 'floor', n: 40 });
  t.same(intakePlan(st({ records: 100, msSinceRead: 25, floorPaceMs: 0.4 }), block, 64), { mode: 'floor', n: 40 }, 'a small pass: floorMs rules');
  t.ok(pace > 7.8 && pace < 7.9, `an 8 KiB record paces the floor by ${pace.toFixed(2)} ms`);
  t.same(intakePlan(st({ records: 140, msSinceRead: 0 }), block, 64), { mode: 'full', n: 64 }, 'reserve full (records): read on, queue_full_action decides');
  t.same(intakePlan(st({ records: 100, bytes: 14000, msSinceRead: 0 }), block, 64), { mode: 'full', n: 64 }, 'reserve full (bytes)');
  t.same(intakePlan(st({ records: 140, creditRecords: 1, creditBytes: 10 }), block, 64), { mode: 'credit', n: 1 }, 'credit comes first even with the reserve full');
});

t.test('which new events a plan admits', async (t) => {
  t.ok(admitsNewEvent('free', 0, 0, 10, block, false));
  t.ok(admitsNewEvent('floor', 139, 0, 10, block, false));
  t.notOk(admitsNewEvent('full', 140, 0, 10, block, false), 'block, reserve full, drop');
  t.notOk(admitsNewEvent('full', 140, 0, 10, { ...block, fullAction: 'suspend' }, false));
  t.ok(admitsNewEvent('full', 140, 0, 10, { ...block, fullAction: 'keep' }, false), 'keep reads on into memory');
  t.notOk(admitsNewEvent('free', 0, 0, 10, block, true), 'suspend holds');
  t.ok(admitsNewEvent('free', 99, 9990, 10, drop, false), 'drop: fits exactly');
  t.notOk(admitsNewEvent('free', 100, 0, 10, drop, false), 'drop: records at the HWM');
  t.notOk(admitsNewEvent('free', 0, 9995, 10, drop, false), 'drop: bytes past the HWM');
  t.ok(admitsNewEvent('free', 1e9, 1e12, 10, unbounded, false));
});

t.test('drop and unbounded read freely; pause (the old block) stops at the HWM until the LWM', async (t) => {
  t.same(intakePlan(st({ records: 1e6 }), drop, 64), { mode: 'free', n: 64 });
  t.same(intakePlan(st({ records: 1e6 }), unbounded, 64), { mode: 'free', n: 64 });
  t.same(intakePlan(st({ records: 100 }), pause, 64), { mode: 'wait', ms: 100 });
  t.same(intakePlan(st({ records: 60, pausing: true }), pause, 64), { mode: 'wait', ms: 100 }, 'hysteresis');
  t.same(intakePlan(st({ records: 50, pausing: true }), pause, 64), { mode: 'free', n: 50 });
});

t.test('dequeue builds credit; it wakes a paced reader for a batch of it or at the LWM', async (t) => {
  const q = new QueueState();
  q.setLimits(block);
  let wakes = 0;
  q.wakeFd = () => { wakes++; };
  q.enqueue(120, 1200);
  q.dequeue(10, 100, 64);
  t.equal(wakes, 0, 'not paced: no wake');
  Atomics.store(q.i32, I.PAUSED, 1);
  q.dequeue(10, 100, 64);
  t.equal(wakes, 0, '20 records of credit, under a batch: the floor timer picks it up');
  q.dequeue(50, 500, 64);
  t.equal(wakes, 1, '70 records of credit: woken');
  t.same(q.takeCredit(), { records: 70, bytes: 700 }, 'credit is what the writer finished since the last take');
  t.same(q.takeCredit(), { records: 0, bytes: 0 });
  q.dequeue(1, 10, 64);
  t.equal(wakes, 2, 'queue at the LWM (49 records): woken');
  t.equal(q.records(), 49);
  t.equal(q.get(B.MAX_RECORDS), 120);
});

t.test('shared accounting across threads: a waiter wakes when the queue drains', async (t) => {
  const q = new QueueState();
  q.setLimits(block);
  q.enqueue(100, 1000);
  t.equal(q.records(), 100);
  t.equal(q.limits().policy, 'block');
  // a worker that behaves like the throttled input thread: waits until lwm, reports how long
  const w = new Worker(`
    const { workerData, parentPort } = require('node:worker_threads');
    const i32 = new Int32Array(workerData.a);
    Atomics.store(i32, ${I.PAUSED}, 1);
    const t0 = Date.now();
    while (Atomics.load(i32, ${I.RECORDS}) > 50) Atomics.wait(i32, ${I.WAKE}, Atomics.load(i32, ${I.WAKE}), 1000);
    Atomics.store(i32, ${I.PAUSED}, 0);
    parentPort.postMessage(Date.now() - t0);
  `, { eval: true, workerData: { a: q.sabI32 } });
  for (let i = 0; i < 200 && !q.paused(); i++) await new Promise((r) => setTimeout(r, 10)); // worker start-up
  t.ok(q.paused());
  q.dequeue(30, 300);
  await new Promise((r) => setTimeout(r, 50));
  t.ok(q.paused(), 'still above lwm');
  q.dequeue(20, 200);
  const waited = await new Promise<number>((r) => w.once('message', r));
  t.ok(waited < 900, `woken by dequeue, not by its timeout (${waited} ms)`);
  t.equal(q.records(), 50);
  t.equal(q.bytes(), 500);
  t.equal(q.get(15), 1000, 'max bytes seen');
  await w.terminate();
});
