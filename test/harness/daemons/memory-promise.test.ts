// tsauditd's memory promise, as the verdict judges it: queue HWM bytes, the block reserve and its
// socket's receive buffer (kernel memory the harness counts as unread bytes), each named.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsauditdDaemon } from '../../../harness/daemons/tsauditd-daemon.ts';
import { evaluate, HWM_SLACK_BYTES } from '../../../harness/verdict/assertions.ts';
import type { StartContext } from '../../../harness/daemons/daemon.ts';

const MiB = 1 << 20;

/** Configure the adapter as start() does, without spawning: the spawn is stubbed to a no-op. */
async function promised(policy: 'block' | 'drop' | 'unbounded', config: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'auditstorm-promise-'));
  const d = new TsauditdDaemon({ kind: 'tsauditd', policy, config } as never);
  (d as unknown as { proc: { spawn: () => Promise<void> } }).proc.spawn = async () => {};
  try {
    await d.start({ workDir: dir } as StartContext);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { total: d.queueBoundBytes(), parts: d.queueBoundParts() };
}

t.test('block promises queue + reserve + socket cushion; drop no reserve; unbounded nothing', async (t) => {
  const block = await promised('block', { queue_hwm_bytes: '4M', queue_reserve_bytes: '2M', recv_buffer_bytes: '1M' });
  t.same(block.parts.map((p) => [p.name, p.bytes / MiB]), [['queue_hwm_bytes', 4], ['queue_reserve_bytes', 2], ['socket (2 x recv_buffer_bytes)', 2]]);
  t.equal(block.total, 8 * MiB);
  const drop = await promised('drop', { queue_hwm_bytes: '4M', recv_buffer_bytes: '1M' });
  t.same(drop.parts.map((p) => p.name), ['queue_hwm_bytes', 'socket (2 x recv_buffer_bytes)']);
  t.equal(drop.total, 6 * MiB);
  t.same(await promised('unbounded'), { total: null, parts: [] });
  t.equal((await promised('block', { queue_full_action: 'keep' })).total, null, 'block that keeps reading into memory promises nothing');
});

t.test('the verdict holds RSS + socket to idle + the promise + slack, and names each term', async (t) => {
  const { total, parts } = await promised('block', { queue_hwm_bytes: '4M', queue_reserve_bytes: '2M', recv_buffer_bytes: '1M' });
  const idle = 50 * MiB;
  const limit = idle + total! + HWM_SLACK_BYTES;
  const fig = (peak: number) => ({ peakRssBytes: peak, idleRssBytes: idle, queueBoundBytes: total, queueBoundParts: parts, slope: null, oomKills: 0,
    kernelLost: 0, throughputEventsPerSec: 0, backlogWaitMs: 0, events: {} as never, daemonDied: null });
  const at = evaluate({ peakRssMax: 'hwm' }, fig(limit))[0]!;
  t.match(at, { ok: true, limit });
  t.match(at.detail, /queue_hwm_bytes 4\.0 MiB \+ queue_reserve_bytes 2\.0 MiB \+ socket \(2 x recv_buffer_bytes\) 2\.0 MiB \+ 16\.0 MiB/);
  t.notOk(evaluate({ peakRssMax: 'hwm' }, fig(limit + 1))[0]!.ok, 'one byte over fails');
});
