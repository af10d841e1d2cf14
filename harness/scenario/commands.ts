// `auditstorm scenarios` and `auditstorm validate SCENARIO`, as functions returning the text to
// print and the exit code (the CLI wires them into commander).
import { basename, join } from 'node:path';
import { formatDuration, formatSize } from './units.ts';
import { listScenarioFiles, loadScenario, resolveScenarioPath, ScenarioError, SCENARIOS_DIR } from './load-scenario.ts';
import type { Scenario, ScenarioOverrides } from './schema.ts';

export interface CommandOutput {
  /** for stdout */
  text: string;
  /** for stderr */
  errors: string;
  exitCode: 0 | 1 | 2 | 3;
}

/** One line per scenario in loads/scenarios: name, duration, description (or why it is broken). */
export function scenariosCommand(dir = SCENARIOS_DIR): CommandOutput {
  const files = listScenarioFiles(dir);
  if (files.length === 0) return { text: '', errors: `no scenario files in ${dir}\n`, exitCode: 3 };
  const rows = files.map((f) => {
    const name = f.replace(/\.ya?ml$/, '');
    try {
      const s = loadScenario(join(dir, f));
      return [name, formatDuration(s.durationMs), s.description];
    } catch (err) {
      const msg = err instanceof ScenarioError ? `INVALID: ${err.problems.length} problem(s), run \`auditstorm validate ${name}\`` : `INVALID: ${(err as Error).message}`;
      return [name, '-', msg];
    }
  });
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const text = rows.map((r) => `${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`).join('\n') + '\n';
  const bad = rows.some((r) => r[1] === '-');
  return { text, errors: '', exitCode: bad ? 2 : 0 };
}

function summary(s: Scenario): string {
  const loads = s.loads.map((l) => `  load ${l.name}: ${l.generator} x${l.processes}, rate ${l.rate}, shape ${l.shape.kind}` +
    `${l.count !== null ? `, ${l.count} ops/process` : l.durationMs !== null ? `, ${formatDuration(l.durationMs)}` : ''}` +
    `${l.startMs ? `, starts at ${formatDuration(l.startMs)}` : ''}`);
  const faults = s.faults.map((f) => `  fault ${f.kind} at ${formatDuration(f.at)}${'for' in f && f.for !== undefined ? ` for ${formatDuration(f.for)}` : ''}`);
  const e = s.expect;
  const expects = [
    e.peakRssMax !== null ? `peak RSS <= ${e.peakRssMax === 'hwm' ? 'HWM bound' : formatSize(e.peakRssMax)}` : '',
    e.rssSlopeMaxBytesPerSec !== null ? `RSS slope <= ${formatSize(e.rssSlopeMaxBytesPerSec)}/s after ${formatDuration(e.warmupMs)}` : '',
    e.oomKillsMax !== null ? `OOM kills <= ${e.oomKillsMax}` : '',
    e.silentLossMax !== null ? `silent loss <= ${e.silentLossMax}` : '',
    e.kernelLostMax !== null ? `kernel lost <= ${e.kernelLostMax}` : '',
    e.throughputMin !== null ? `throughput >= ${e.throughputMin} events/s` : '',
    e.backlogWaitMaxMs !== null ? `backlog wait <= ${formatDuration(e.backlogWaitMaxMs)}` : '',
  ].filter(Boolean);
  return [
    `${s.name}: ${s.description}`,
    `  duration ${formatDuration(s.durationMs)}, seed ${s.source.seedGenerated ? '(generated at run time)' : s.seed}, rules ${s.rules.file}`,
    `  daemon ${s.daemon.name}${s.daemon.name === 'tsauditd' ? ` (policy ${s.daemon.policy})` : ''}, memory limit ${formatSize(s.daemon.memoryLimitBytes)}`,
    `  kernel backlog_limit ${s.kernel.backlogLimit}, backlog_wait_time ${formatDuration(s.kernel.backlogWaitTimeMs)}, rate_limit ${s.kernel.rateLimit}, failure ${s.kernel.failure}`,
    ...loads,
    ...faults,
    `  expect: ${expects.length ? expects.join('; ') : 'nothing (no assertions)'}`,
    ...s.source.warnings.map((w) => `  warning: ${w}`),
  ].join('\n') + '\n';
}

/** Validate one scenario (a path or a name in loads/scenarios). Exit 0 valid, 2 invalid. */
export function validateCommand(nameOrPath: string, overrides: ScenarioOverrides = {}): CommandOutput {
  const path = resolveScenarioPath(nameOrPath);
  try {
    const s = loadScenario(path, overrides);
    return { text: `${basename(path)}: valid\n${summary(s)}`, errors: '', exitCode: 0 };
  } catch (err) {
    if (err instanceof ScenarioError) return { text: '', errors: `${err.message}\n`, exitCode: 2 };
    throw err;
  }
}
