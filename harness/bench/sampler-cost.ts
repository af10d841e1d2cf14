// The harness's own cost: the full sampler at 10 Hz (process, cgroup, kernel status, /dev/kmsg,
// the daemon's stats file, throughput, the metrics writer) against a process in a run cgroup,
// for a few seconds, as a share of one core of this process's CPU (process.cpuUsage, so it
// includes everything the sampler causes: timers, netlink replies, writes). A measurement for
// the bench, which prints it beside its target; nothing here fails on a number.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRunCgroup } from '../host/cgroup.ts';
import type { RunCgroup } from '../host/cgroup-types.ts';
import { acquireLock } from '../host/lock.ts';
import { AuditControl } from '../kernel/audit-control.ts';
import { Sampler } from '../monitors/sampler.ts';

export interface SamplerCost {
  /** CPU of this process while sampling, in % of one core */
  pct: number;
  ticks: number;
  meanTickUs: number;
  maxTickUs: number;
  /** ticks held up for more than 200 ms */
  stalls: number;
  seconds: number;
}

export async function samplerCost(seconds = 5): Promise<SamplerCost> {
  // a run cgroup is machine state: taken under the kernel audit lock, like a run's
  const lock = await acquireLock({ waitMs: 600_000 });
  const dir = mkdtempSync(join(tmpdir(), 'auditstorm-sampler-cost-'));
  try {
    const cg = await createRunCgroup({ runId: `bench-sampler-${process.pid}`, memoryLimitBytes: 256 * 1024 * 1024 });
    try {
      return await sampleFor(seconds, dir, cg);
    } finally {
      await cg.destroy({ kill: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    lock.release();
  }
}

async function sampleFor(seconds: number, dir: string, cg: RunCgroup): Promise<SamplerCost> {
  const audit = await AuditControl.open();
  // the sampled process: a Node process holding 16 MiB, as a small daemon would
  const { file, args } = cg.spawnArgs(process.execPath, ['-e', 'globalThis.b = Buffer.alloc(16 << 20, 1); setInterval(() => {}, 1000)']);
  const proc = spawn(file, args, { stdio: 'ignore' });
  try {
    await sleep(300);
    const statsFile = join(dir, 'stats.json');
    writeFileSync(statsFile, JSON.stringify({ ts: Date.now(), pid: proc.pid, policy: 'block',
      queue: { records: 1, bytes: 1, hwm: 2, hwmBytes: 2, lwm: 1, paused: false, maxRecords: 9, maxBytes: 9 },
      received: 1, written: 1, dropped: {}, bytesWritten: 1, suspended: false, plugins: [], rssBytes: 1 }));
    const sampler = new Sampler({ metricsPath: join(dir, 'metrics.jsonl'), hz: 10, daemonPids: () => [proc.pid!], cgroup: cg, audit, statsFile });
    await sampler.start();
    try {
      await sleep(500); // JIT warm-up is a one-off, not steady-state cost
      const c0 = process.cpuUsage();
      const w0 = process.hrtime.bigint();
      let n = 0;
      const load = setInterval(() => sampler.throughput.report('g', (n += 1000)), 100);
      await sleep(seconds * 1000);
      clearInterval(load);
      const cpu = process.cpuUsage(c0);
      const wallMs = Number(process.hrtime.bigint() - w0) / 1e6;
      const self = sampler.selfStats();
      return {
        pct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100, ticks: self.ticks, meanTickUs: self.tickUsTotal / Math.max(1, self.ticks),
        maxTickUs: self.tickUsMax, stalls: self.stalls, seconds: wallMs / 1000,
      };
    } finally {
      await sampler.stop();
    }
  } finally {
    proc.kill('SIGKILL');
    audit.close();
  }
}
