// Each generator's own count of audited syscalls against what the kernel recorded: the
// generator runs with a fresh auid under its scoped test rules, Debian's auditd (foreground,
// generated config) logs the kernel's records, ausearch counts them. Needs root; run it under
// the dev lock: flock /run/lock/auditstorm-dev.lock npx tap test/loads/generators/kernel-counts.test.ts
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generators } from '../../../loads/generators/index.ts';
import { generatorOptions, type GeneratorName } from '../../../loads/generators/options.ts';
import { startTogether } from '../../../loads/generators/process.ts';
import type { GeneratorConfig } from '../../../loads/generators/common.ts';
import type { Rate, Shape } from '../../../loads/generators/shape.ts';
import { auditctl, AuditdRecorder, auditStatus, randomRunAuid, ruleArgs } from '../helpers/auditd-recorder.ts';

const isRoot = process.getuid?.() === 0;
// the kernel's settings as this file found them: restored at the end and compared with
// (not a clean host's defaults: a host may boot with audit on and its own backlog)
const found = isRoot ? auditStatus() : {};
const SETTINGS = ['enabled', 'backlog_limit', 'backlog_wait_time', 'rate_limit', 'failure'] as const;

interface Case {
  generator: GeneratorName;
  processes: number;
  count?: number;
  durationMs?: number;
  rate?: Rate;
  shape?: Shape;
  options?: Record<string, unknown>;
}

const cases: Case[] = [
  { generator: 'open-close', processes: 2, count: 5000 },
  { generator: 'open-close', processes: 2, durationMs: 2000, rate: 1500, shape: { kind: 'square', low: 500, high: 2500, periodMs: 1000, duty: 0.5 }, options: { files: 4 } },
  { generator: 'stat', processes: 2, count: 5000 },
  { generator: 'file-write', processes: 2, count: 1000 },
  { generator: 'fork-exec', processes: 2, count: 150 },
  { generator: 'tcp', processes: 2, count: 1000 },
  { generator: 'http', processes: 1, count: 2000, options: { connections: 8 } },
  { generator: 'user-message', processes: 2, count: 400, options: { types: [1005, 1123], sizes: [{ size: '64B', weight: 4 }, { size: '8KiB', weight: 1 }] } },
];

t.test('generator counts equal the kernel\'s records', { skip: isRoot ? false : 'needs root and kernel audit' }, async (t) => {
  const before = auditStatus();
  t.equal(before.pid, 0, 'no daemon registered');
  const rulesBefore = auditctl('-l');
  const rec = await AuditdRecorder.start();
  t.teardown(async () => {
    try { auditctl('-e', String(found.enabled)); } catch { /* keep restoring */ }
    await rec.stop();
    auditctl('-b', String(found.backlog_limit));
    auditctl('--backlog_wait_time', String(found.backlog_wait_time));
    rec.cleanup();
  });
  // a backlog big enough that nothing waits or is lost; waits short if it happens anyway
  auditctl('-b', '8192');
  auditctl('--backlog_wait_time', '250');

  for (const c of cases) {
    await t.test(`${c.generator}${c.shape ? ` (${c.shape.kind})` : ''}`, async (t) => {
      const auid = randomRunAuid();
      const key = `asg-${c.generator}-${auid}`;
      const scratch = mkdtempSync(join(tmpdir(), 'asg-scratch-'));
      const added: string[][] = [];
      t.teardown(() => {
        try { auditctl('-e', '0'); } catch { /* keep restoring */ }
        for (const args of added) {
          try { auditctl('-d', ...args.slice(1)); } catch { /* reported by the rules check */ }
        }
        rmSync(scratch, { recursive: true, force: true });
      });
      for (const rule of generators[c.generator].testRules) {
        const args = ruleArgs(rule, { AUID: String(auid), KEY: key, SCRATCH: scratch });
        auditctl(...args);
        added.push(args);
      }
      const lostBefore = auditStatus().lost;
      const since = rec.mark();
      auditctl('-e', '1');
      const configs: GeneratorConfig[] = Array.from({ length: c.processes }, (_, i) => ({
        generator: c.generator,
        auid,
        seed: 1000 + i,
        rate: c.rate ?? 'max',
        shape: c.shape ?? { kind: 'steady' },
        durationMs: c.durationMs ?? null,
        count: c.count ?? null,
        scratchDir: scratch,
        options: generatorOptions[c.generator].parse(c.options ?? {}) as never,
        load: `t${i}`,
        processIndex: i,
      }));
      const procs = await startTogether(configs);
      const results = await Promise.all(procs.map((p) => p.result));
      await rec.sync(`asg-sync-${key}`);
      auditctl('-e', '0');
      const ops = results.reduce((s, r) => s + r.ops, 0);
      const reported = results.reduce((s, r) => s + r.auditedSyscalls, 0);
      const errors = results.reduce((s, r) => s + r.errors, 0);
      t.equal(errors, 0, `no errors (${results.map((r) => r.firstError).filter(Boolean).join('; ')})`);
      if (c.count !== undefined && c.generator !== 'http') t.equal(ops, c.count * c.processes, 'every process did its count');
      if (c.generator === 'http') t.ok(ops >= c.count!, `served at least the requested ${c.count} requests (${ops})`);
      if (c.durationMs !== undefined && c.rate !== undefined) {
        // square 500/2500 at duty 0.5 for 2 s: 3000 per process
        const expected = 3000 * c.processes;
        t.ok(Math.abs(ops - expected) < expected * 0.1, `paced to the shape: ${ops} ops, expected about ${expected}`);
      }
      let logged: number;
      if (c.generator === 'user-message') {
        const pids = new Set(results.map((r) => r.pid));
        logged = rec.logText().split('\n').filter((l) => {
          const m = /auditstorm-gen=(\d+):/.exec(l);
          return m !== null && pids.has(Number(m[1]));
        }).length;
      } else {
        logged = rec.countKey(key, since);
      }
      t.ok(reported > 0, `the generator reported ${reported} audited syscalls for ${ops} ops`);
      t.equal(logged, reported, `kernel logged ${logged}, generator reported ${reported}`);
      t.equal(auditStatus().lost, lostBefore, 'kernel lost counter unchanged');
    });
  }

  t.equal(auditctl('-l'), rulesBefore, 'rules as before');
});

t.test('the kernel is left as found', { skip: isRoot ? false : 'needs root' }, async (t) => {
  const s = auditStatus();
  t.equal(s.pid, found.pid, 'registered daemon as found');
  for (const k of SETTINGS) t.equal(s[k], found[k], `${k} as found (${found[k]})`);
});
