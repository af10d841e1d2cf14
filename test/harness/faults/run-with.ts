// The runner with Debian's auditd on a short generated scenario, for the fault tests: the run's
// own records (summary.json, metrics.jsonl), with every fault's "took effect" assertion and the
// kernel's settings and rules as found checked on the way.
import type { Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { isRoot, rulesSnapshot, settingsSnapshot } from '../../helpers/kernel.ts';
import { validateScenario } from '../../../harness/scenario/load-scenario.ts';
import { runScenario } from '../../../harness/run/run-scenario.ts';
import type { RunSummary } from '../../../harness/run/run-scenario.ts';
import { readMetrics } from '../../../harness/metrics/metrics-reader.ts';
import type { MetricsEvent } from '../../../harness/metrics/metrics-types.ts';
import { windowName } from '../../../harness/faults/timeline.ts';

const hasAuditd = (() => { try { execFileSync('which', ['auditd']); return true; } catch { return false; } })();
export const skip = !isRoot ? 'needs root' : !hasAuditd ? 'needs Debian auditd (apt-get install auditd)' : false;

export async function runWith(t: Test, name: string, body: string[]): Promise<{ summary: RunSummary; events: MetricsEvent[] }> {
  const out = mkdtempSync(join(tmpdir(), 'auditstorm-runfault-'));
  // a failed test keeps its run's records (metrics.jsonl, summary.json) to be read
  t.teardown(() => { if (t.passing()) rmSync(out, { recursive: true, force: true }); else console.error(`# kept ${out}`); });
  const settings = settingsSnapshot();
  const rules = rulesSnapshot();
  const scenario = validateScenario([
    `name: ${name}`, 'description: fault test', 'rules: openat-storm.rules',
    'kernel: {backlog_limit: 1024, backlog_wait_time: 500ms}',
    ...body,
  ].join('\n'));
  const o = await runScenario({ scenario, outRoot: out, lockWaitMs: 300_000 });
  const { events } = await readMetrics(join(o.dir, 'metrics.jsonl'));
  t.equal(settingsSnapshot(), settings, 'kernel settings as found');
  t.equal(rulesSnapshot(), rules, 'rules as found');
  t.equal(o.summary.ended, 'completed');
  t.ok(o.summary.assertions.find((a) => a.name === 'faults applied and undone')?.ok, `faults applied: ${o.summary.warnings.join('; ')}`);
  for (const w of o.summary.faults) {
    t.ok(events.some((e) => e.event === 'fault-start' && e.kind === w.kind && e.occurrence === w.occurrence), `fault-start of ${w.kind}.${w.occurrence} in metrics.jsonl`);
    if (w.endMs !== null) t.ok(events.some((e) => e.event === 'fault-end' && e.kind === w.kind && e.occurrence === w.occurrence), `fault-end of ${w.kind}.${w.occurrence}`);
    const a = o.summary.assertions.find((x) => x.name === `${windowName(w)} took effect`);
    t.ok(a?.ok, `${windowName(w)} took effect: ${a?.actual}${a?.detail ? ` (${a.detail})` : ''}`);
    t.same(w.effect && { ok: w.effect.ok, measured: w.effect.measured }, { ok: a?.ok, measured: a?.actual }, 'summary.json faults[].effect is what the assertion says');
  }
  return { summary: o.summary, events };
}

