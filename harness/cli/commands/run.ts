// run, start: a scenario against a daemon, with a live status line and a verdict a CI job can gate on.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { DAEMONS, LOG_FORMATS, POLICIES, type DaemonName, type LogFormat, type Policy } from '../../scenario/names.ts';
import type { ScenarioOverrides } from '../../scenario/schema.ts';
import type { RunOutcome } from '../../run/run-scenario.ts';
import { ExitCode } from '../exit-codes.ts';
import { CliError, jsonOptions, withJsonOutput, type JsonOutputOptions } from '../output.ts';
// a pure function over the summary (imports types only); everything else is imported when a
// command runs: the CLI loads only the command it runs.
import { lossPhrase } from '../../verdict/accounting.ts';

export interface RunCliOptions {
  daemon?: string;
  policy?: string;
  command?: string;
  log?: string;
  logFormat?: string;
  duration?: string;
  out?: string;
  quiet?: boolean;
}

function checkChoice<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new CliError(`${flag} ${value}: must be one of ${allowed.join(', ')}`, ExitCode.USAGE);
  return value as T;
}

/** --command, --log, --log-format: any library scenario against a command daemon, unchanged. */
function commandOverrides(opts: RunCliOptions): Pick<ScenarioOverrides, 'command' | 'log' | 'logFormat'> {
  return {
    ...(opts.command !== undefined ? { command: opts.command } : {}),
    ...(opts.log !== undefined ? { log: opts.log } : {}),
    ...(opts.logFormat !== undefined ? { logFormat: checkChoice<LogFormat>('--log-format', opts.logFormat, LOG_FORMATS) } : {}),
  };
}

function commandOptions(cmd: Command): Command {
  return cmd
    .option('--command <line>', 'with --daemon command: the daemon\'s command line (@LOG@, @LOGDIR@, @CONFDIR@ are filled in; docs/daemons.md)')
    .option('--log <path>', 'with --daemon command: the log it writes (default @LOGDIR@/audit.log)')
    .option('--log-format <format>', `with --daemon command: ${LOG_FORMATS.join(', ')} (default raw)`);
}

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

export function verdictLine(o: RunOutcome): string {
  const m = o.summary.metrics;
  const failed = o.summary.assertions.filter((a) => !a.ok).map((a) => a.name);
  return `${o.summary.verdict.toUpperCase()} ${o.summary.scenario} ${o.summary.daemon}${o.summary.policy ? `:${o.summary.policy}` : ''}: ` +
    `peak RSS ${mib(m.peakRssBytes)}, ${Math.round(m.throughputEventsPerSec)} events/s, ` +
    `generated ${m.events.generated}, logged ${m.events.logged}, ${lossPhrase(m.events)}, ` +
    `OOM kills ${m.oomKills}, kernel lost ${m.kernel.lost} records` +
    (failed.length ? `\n  failed: ${failed.join('; ')}` : '');
}

export async function runOne(scenarioArg: string, opts: RunCliOptions): Promise<RunOutcome> {
  const [{ loadScenario, resolveScenarioPath }, { runScenario }, { writeRunArtifacts }, { statusLine }] = await Promise.all([
    import('../../scenario/load-scenario.ts'), import('../../run/run-scenario.ts'), import('../../report/index.ts'), import('../live-status.ts'),
  ]);
  const daemon = checkChoice<DaemonName>('--daemon', opts.daemon, DAEMONS);
  const policy = checkChoice<Policy>('--policy', opts.policy, POLICIES);
  const scenario = loadScenario(resolveScenarioPath(scenarioArg), { daemon, policy, duration: opts.duration, ...commandOverrides(opts) });
  for (const w of scenario.source.warnings) console.error(`warning: ${w}`);
  // NO_COLOR and TERM=dumb: no escape sequences, so no redrawn status line either
  const tty = !!process.stdout.isTTY && !process.env.CI && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  const status = statusLine({ quiet: !!opts.quiet, tty });
  let outcome: RunOutcome;
  try {
    outcome = await runScenario({
      scenario, outRoot: opts.out ? resolve(opts.out) : undefined,
      onPhase: (line) => status.log(line), onSample: (s) => status.update(s),
    });
  } finally {
    status.done();
  }
  // report.html, junit.xml and summary.md beside the TAP; a report failure must not hide the verdict
  await writeRunArtifacts(outcome.dir).catch((err: Error) => console.error(`warning: report not written: ${err.message}`));
  return outcome;
}

export function registerRunCommands(program: Command, run: (fn: () => Promise<number>) => void): void {
  jsonOptions(commandOptions(program.command('run')), 'the run\'s summary.json')
    .argument('<scenario>', 'a scenario file, or the name of one in loads/scenarios/')
    .description('run a scenario against a daemon on the real kernel; exit 0 pass, 1 fail, 2 bad input, 3 environment')
    .option('--daemon <name>', `daemon under test: ${DAEMONS.join(', ')}`)
    .option('--policy <policy>', `tsauditd queue policy: ${POLICIES.join(', ')}`)
    .option('--duration <duration>', 'override the scenario duration (e.g. 30s)')
    .option('--out <dir>', 'results root (default results/)')
    .option('--quiet', 'print only the verdict (for CI)')
    .action((scenario: string, opts: RunCliOptions & JsonOutputOptions) => run(() => withJsonOutput(opts, async () => {
      const outcome = await runOne(scenario, opts);
      console.log(verdictLine(outcome));
      console.log(`results: ${outcome.dir}`);
      return { code: outcome.exitCode, result: outcome.summary };
    })));

  program.command('start')
    .description('the main job: slow-writer with tsauditd under block and under unbounded, side by side')
    .option('--duration <duration>', 'per run (default: the scenario\'s)')
    .option('--quiet', 'print only the verdicts')
    .action((opts: { duration?: string; quiet?: boolean }) => run(async () => {
      const outcomes: RunOutcome[] = [];
      for (const policy of ['block', 'unbounded']) {
        if (!opts.quiet) console.log(`\n== slow-writer with tsauditd, policy ${policy} ==`);
        outcomes.push(await runOne('slow-writer', { daemon: 'tsauditd', policy, duration: opts.duration, quiet: opts.quiet }));
      }
      console.log('\n== side by side ==');
      for (const o of outcomes) console.log(`${verdictLine(o)}\n  results: ${o.dir}`);
      // The main job shows the contrast; it succeeds when block passes and unbounded fails on memory.
      const [block, unbounded] = outcomes as [RunOutcome, RunOutcome];
      const contrast = block.summary.verdict === 'pass' && unbounded.summary.verdict === 'fail';
      console.log(contrast
        ? '\nThe HWM throttle holds: block kept memory bounded with no silent loss; unbounded did not.'
        : '\nUnexpected: block should pass and unbounded should fail on memory; see the results above.');
      return contrast ? ExitCode.OK : ExitCode.FAILED;
    }));
}

export function registerScenarioCommands(program: Command, run: (fn: () => Promise<number>) => void): void {
  program.command('scenarios')
    .description('list the scenarios in loads/scenarios/, one line each; --run-all runs the library under every daemon/policy')
    .option('--run-all', 'run every library scenario under tsauditd block, drop, unbounded and auditd; print a table')
    .option('--duration <duration>', 'with --run-all: override every scenario\'s duration (e.g. 15s)')
    .option('--out <dir>', 'with --run-all: results root (default results/)')
    .action((opts: { runAll?: boolean; duration?: string; out?: string }) => run(async () => {
      if (opts.runAll) return runAll(opts);
      const { scenariosCommand } = await import('../../scenario/commands.ts');
      const out = scenariosCommand();
      printOutput(out);
      return out.exitCode;
    }));

  program.command('schema')
    .description('print the scenario file\'s JSON Schema (for editors: auditstorm schema > scenario.schema.json)')
    .action(() => run(async () => {
      const { scenarioJsonSchemaText } = await import('../../scenario/json-schema.ts');
      process.stdout.write(scenarioJsonSchemaText());
      return ExitCode.OK;
    }));

  commandOptions(program.command('validate'))
    .argument('<scenario>', 'a scenario file, or the name of one in loads/scenarios/')
    .description('check a scenario file against the schema; errors name file:line:col, the field, the value and what is allowed')
    .option('--daemon <name>', 'validate with this daemon override')
    .option('--policy <policy>', 'validate with this policy override')
    .action((scenario: string, opts: RunCliOptions) => run(async () => {
      const { validateCommand } = await import('../../scenario/commands.ts');
      const out = validateCommand(scenario, {
        daemon: checkChoice<DaemonName>('--daemon', opts.daemon, DAEMONS),
        policy: checkChoice<Policy>('--policy', opts.policy, POLICIES),
        ...commandOverrides(opts),
      });
      printOutput(out);
      return out.exitCode;
    }));
}

function printOutput(out: { text: string; errors: string }): void {
  const nl = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  if (out.text) process.stdout.write(nl(out.text));
  if (out.errors) process.stderr.write(nl(out.errors));
}

/** `scenarios --run-all`: the library matrix, then its table (docs/scenarios.md's is made from it). */
async function runAll(opts: { duration?: string; out?: string }): Promise<number> {
  const { runAllScenarios, textTable } = await import('../../run/run-all.ts');
  const { rows, tablePath } = await runAllScenarios({ duration: opts.duration, out: opts.out, log: (l) => console.log(l) });
  console.log(`\n${textTable(rows)}\n\nMarkdown table: ${tablePath}`);
  return rows.some((r) => r.verdict === 'error') ? ExitCode.ENVIRONMENT : ExitCode.OK;
}
