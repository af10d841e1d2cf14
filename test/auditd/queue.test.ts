import t from 'tap';
import { Worker } from 'node:worker_threads';
import { admitCount, atHighWater, atLowWater, I, QueueState, receiveAllowance, type QueueLimits } from '../../auditd/queue.ts';

const block: QueueLimits = { policy: 'block', hwm: 100, lwm: 50, hwmBytes: 10000, lwmBytes: 5000 };
const drop: QueueLimits = { ...block, policy: 'drop' };
const unbounded: QueueLimits = { ...block, policy: 'unbounded' };

t.test('high and low water, records and bytes', async (t) => {
  t.notOk(atHighWater(99, 9999, block));
  t.ok(atHighWater(100, 0, block), 'records reach the hwm');
  t.ok(atHighWater(0, 10000, block), 'bytes reach the hwm');
  t.ok(atLowWater(50, 5000, block));
  t.notOk(atLowWater(51, 0, block), 'hysteresis: above lwm records');
  t.notOk(atLowWater(0, 5001, block), 'hysteresis: above lwm bytes');
});

t.test('block never reads past the hwm in records', async (t) => {
  t.equal(receiveAllowance(0, block, 64), 64);
  t.equal(receiveAllowance(90, block, 64), 10);
  t.equal(receiveAllowance(100, block, 64), 1, 'at least one (the caller pauses before it gets here)');
  t.equal(receiveAllowance(1e6, unbounded, 64), 64);
});

t.test('drop admits up to the hwm, in order', async (t) => {
  t.equal(admitCount(98, 0, [10, 10, 10], drop), 2);
  t.equal(admitCount(0, 9985, [10, 10], drop), 1, 'bytes');
  t.equal(admitCount(100, 0, [1], drop), 0);
  t.equal(admitCount(1e6, 1e9, [1, 2, 3], block), 3, 'block does not drop');
  t.equal(admitCount(1e6, 1e9, [1, 2, 3], unbounded), 3);
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
  await new Promise((r) => setTimeout(r, 100));
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
