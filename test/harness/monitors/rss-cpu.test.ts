// The RSS/CPU monitor against a fixture that grows to a known size (inside a limited cgroup).
import t from 'tap';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRunCgroup } from '../../../harness/host/cgroup.ts';
import { ProcessMonitor, readProcStatus } from '../../../harness/monitors/rss-cpu.ts';

const alloc = new URL('../../fixtures/alloc.mjs', import.meta.url).pathname;
const MiB = 1024 * 1024;

t.test('tracks a fixture growing by 96 MiB within 10%', async (t) => {
  const cg = await createRunCgroup({ runId: `t-rss-${process.pid}`, memoryLimitBytes: 256 * MiB });
  t.teardown(() => cg.destroy({ kill: true }));
  const { file, args } = cg.spawnArgs(process.execPath, [alloc, '--mib', '0', '--grow-mib', '8', '--every-ms', '100', '--max-mib', '96']);
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  const lines: Array<{ allocatedMiB: number; rssKiB: number }> = [];
  child.stdout!.on('data', (d) => { for (const l of String(d).split('\n').filter(Boolean)) lines.push(JSON.parse(l)); });
  while (lines.length === 0) await sleep(20);
  const baseBytes = lines[0].rssKiB * 1024;

  const mon = new ProcessMonitor(() => [child.pid!]);
  const seen: number[] = [];
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && lines.at(-1)!.allocatedMiB < 96) {
    const s = mon.sample(Date.now());
    if (s) seen.push(s.rssBytes);
    await sleep(100);
  }
  await sleep(200);
  const s = mon.sample(Date.now())!;
  const expected = baseBytes + 96 * MiB;
  t.ok(Math.abs(s.rssBytes - expected) / expected < 0.1, `RSS ${(s.rssBytes / MiB).toFixed(1)} MiB vs expected ${(expected / MiB).toFixed(1)} MiB`);
  t.ok(s.hwmBytes >= s.rssBytes, 'VmHWM >= VmRSS');
  t.ok(seen.length >= 8, `${seen.length} samples during growth`);
  t.ok(seen.at(-1)! > seen[0] + 64 * MiB, 'growth was followed sample by sample');
  t.ok(s.cpuPct !== null && s.cpuPct >= 0, `cpu ${s.cpuPct}%`);
  t.ok(s.cpuSec > 0, `cpu seconds ${s.cpuSec}`);
});

t.test('CPU percent of a busy process is near one core', async (t) => {
  const busy = spawn(process.execPath, ['-e', 'const e = Date.now() + 3000; while (Date.now() < e) {}'], { stdio: 'ignore' });
  t.teardown(() => { busy.kill('SIGKILL'); });
  const mon = new ProcessMonitor(() => [busy.pid!]);
  await sleep(300);
  mon.sample(Date.now());
  await sleep(1000);
  const s = mon.sample(Date.now())!;
  t.ok(s.cpuPct! > 60 && s.cpuPct! <= 110, `busy loop at ${s.cpuPct}% of a core`);
});

t.test('gone process: null, not an error', async (t) => {
  const p = spawn('/bin/true');
  await new Promise((r) => p.on('exit', r));
  t.equal(readProcStatus(p.pid!), null);
  t.equal(new ProcessMonitor(() => [p.pid!]).sample(Date.now()), null);
  t.equal(new ProcessMonitor(() => []).sample(Date.now()), null);
});
