// report, compare, baseline: what a run means to a person (report.html), to a release decision
// (compare) and to a CI gate (baseline check).
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CompareResult } from '../../compare/compare-runs.ts';
import { DEFAULT_COMPARE_DAEMONS as DEFAULT_DAEMONS } from '../../scenario/names.ts';
import { ExitCode } from '../exit-codes.ts';
import { CliError, jsonOptions, withJsonOutput, type JsonOutputOptions } from '../output.ts';
import { runOne } from './run.ts';

type Runner = (fn: () => Promise<number>) => void;

const collect = (v: string, prev: string[]) => [...prev, v];

async function runDirArg(dir: string): Promise<string> {
  const { isRunDir } = await import('../../compare/compare-runs.ts');
  const abs = resolve(dir);
  if (!isRunDir(abs)) throw new CliError(`${dir}: not a results folder (it needs summary.json or metrics.jsonl); runs are in results/<time>-<scenario>-<daemon>/`, ExitCode.USAGE);
  return abs;
}

export function registerReportCommands(program: Command, run: Runner): void {
  program.command('report')
    .argument('<run-dir>', 'a results folder (results/<time>-<scenario>-<daemon>/)')
    .description('(re)write report.html, junit.xml and summary.md of a run')
    .option('--screenshot [file]', 'also render report.html in headless Chromium and save a PNG (default: RUN_DIR/report.png)')
    .option('--window <WxH>', 'with --screenshot: only the first WxH pixels of the page (e.g. 1280x1500), not the whole page')
    .action((dir: string, opts: { screenshot?: string | boolean; window?: string }) => run(async () => {
      let window: { width: number; height: number } | null = null;
      if (opts.window !== undefined) {
        const m = /^(\d{3,5})x(\d{3,5})$/.exec(opts.window);
        if (!m) throw new CliError(`--window ${JSON.stringify(opts.window)}: give WIDTHxHEIGHT in pixels, e.g. 1280x1500`, ExitCode.USAGE);
        if (!opts.screenshot) throw new CliError('--window applies to --screenshot: add --screenshot [file]', ExitCode.USAGE);
        window = { width: Number(m[1]), height: Number(m[2]) };
      }
      const abs = await runDirArg(dir);
      const { writeRunArtifacts } = await import('../../report/index.ts');
      await writeRunArtifacts(abs);
      console.log(`${join(abs, 'report.html')}\n${join(abs, 'junit.xml')}\n${join(abs, 'summary.md')}`);
      if (opts.screenshot) {
        const png = typeof opts.screenshot === 'string' ? resolve(opts.screenshot) : join(abs, 'report.png');
        const { BrowserUnavailableError, checkPage } = await import('../../report/browser-check.ts');
        try {
          const check = await checkPage(join(abs, 'report.html'), { screenshot: png, ...(window ? { ...window, fullPage: false } : {}) });
          if (check.consoleErrors.length) throw new CliError(`report.html logged errors in Chromium: ${check.consoleErrors.join('; ')}`, ExitCode.FAILED);
          console.log(png);
        } catch (err) {
          if (err instanceof BrowserUnavailableError) throw new CliError(`--screenshot: ${err.message}`, ExitCode.ENVIRONMENT);
          throw err;
        }
      }
      return ExitCode.OK;
    }));

  jsonOptions(program.command('compare'), 'compare.json')
    .argument('<scenario-or-dirs...>', 'a scenario (runs it once per daemon), or two or more results folders')
    .description('compare daemons on one scenario: compare.json, a table, and compare.html with the curves overlaid')
    .option('--daemons <list>', `daemons to run, NAME or NAME:POLICY, comma-separated (default ${DEFAULT_DAEMONS})`)
    .option('--repeat <n>', 'run each daemon N times, alternating the order each round', '1')
    .option('--duration <duration>', 'override the scenario duration of each run (e.g. 30s)')
    .option('--out <dir>', 'results root (default results/)')
    .action((args: string[], opts: { daemons?: string; repeat: string; duration?: string; out?: string } & JsonOutputOptions) => run(() => withJsonOutput(opts, async () => {
      const { compareDirs, compareScenario, isRunDir, parseDaemons } = await import('../../compare/compare-runs.ts');
      let result: CompareResult;
      const dirs = args.filter((a) => isRunDir(a));
      if (dirs.length === args.length && args.length >= 1 && !opts.daemons) {
        if (args.length < 2) throw new CliError(`compare needs two or more results folders (got ${args[0]}), or a scenario and --daemons`, ExitCode.USAGE);
        if (opts.duration || opts.repeat !== '1') throw new CliError('--duration and --repeat apply when compare runs a scenario, not to existing results folders', ExitCode.USAGE);
        result = await compareDirs(args, opts.out);
      } else {
        if (args.length !== 1) {
          const bad = args.filter((a) => !isRunDir(a));
          throw new CliError(`compare takes one scenario, or only results folders; ${bad.map((b) => (existsSync(b) ? `${b} is not a results folder` : `${b} not found`)).join(', ')}`, ExitCode.USAGE);
        }
        const repeat = Number(opts.repeat);
        if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) throw new CliError(`--repeat ${opts.repeat}: a whole number from 1 to 100`, ExitCode.USAGE);
        result = await compareScenario({
          scenario: args[0], daemons: parseDaemons(opts.daemons ?? DEFAULT_DAEMONS), repeat, duration: opts.duration, out: opts.out,
          runOne: (scenario, o) => runOne(scenario, o), log: (line) => console.log(line),
        });
      }
      console.log(`\n${result.table}`);
      console.log(`compare.json, compare.txt, compare.html: ${result.outDir}`);
      // The comparison is the product: verdicts are in the table (unbounded is meant to fail).
      const { readFileSync } = await import('node:fs');
      return { code: result.interrupted ? (result.interruptExitCode ?? 130) : ExitCode.OK,
        result: JSON.parse(readFileSync(join(result.outDir, 'compare.json'), 'utf8')) };
    })));

  const baseline = program.command('baseline').description('save a run\'s key figures, or gate a run against them');
  baseline.command('save')
    .argument('<run-dir>', 'a results folder of a finished run')
    .option('--name <name>', 'baseline name (default <scenario>-<daemon>[-<policy>])')
    .option('--dir <dir>', 'where baselines live (default results/baselines/)')
    .description('store the run\'s peak RSS, events/s, losses and backlog wait as a baseline')
    .action((dir: string, opts: { name?: string; dir?: string }) => run(async () => {
      const { saveBaseline } = await import('../../baseline/baseline.ts');
      const { path, baseline: b } = saveBaseline(await runDirArg(dir), { name: opts.name, dir: opts.dir ? resolve(opts.dir) : undefined });
      console.log(`baseline ${b.name} (${b.scenario} with ${b.daemon}, ${b.verdict}) saved: ${path}`);
      return ExitCode.OK;
    }));
  baseline.command('check')
    .argument('<run-dir>', 'a results folder of a finished run')
    .option('--name <name>', 'baseline name (default <scenario>-<daemon>[-<policy>] of the run)')
    .option('--dir <dir>', 'where baselines live (default results/baselines/)')
    .option('--tolerance <key=value>', 'override a tolerance, e.g. peak_rss=15% events_per_sec=5% silent_loss=0 (repeatable)', collect, [])
    .description('compare a run with its baseline; exit 1 with a table when a figure regressed past its tolerance')
    .action((dir: string, opts: { name?: string; dir?: string; tolerance: string[] }) => run(async () => {
      const [{ checkBaseline, checkTable }, { tolerancesFromFlags }] = await Promise.all([import('../../baseline/baseline.ts'), import('../../baseline/tolerance.ts')]);
      const r = checkBaseline(await runDirArg(dir), { name: opts.name, dir: opts.dir ? resolve(opts.dir) : undefined, tolerances: tolerancesFromFlags(opts.tolerance) });
      process.stdout.write(checkTable(r));
      return r.regressed.length ? ExitCode.FAILED : ExitCode.OK;
    }));
}
