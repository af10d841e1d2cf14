// reproduce BUNDLE: a field incident bundle -> a derived scenario, run under tsauditd with
// unbounded, block and drop; reproduce.json and a plain-language conclusion.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { DeriveOverrides } from '../../reproduce/derive.ts';
import { POLICIES, type Policy } from '../../scenario/names.ts';
import { ExitCode } from '../exit-codes.ts';
import { CliError, jsonOptions, withJsonOutput, type JsonOutputOptions } from '../output.ts';

interface ReproduceCliOptions {
  out?: string;
  duration?: string;
  policies?: string;
  dryRun?: boolean;
  quiet?: boolean;
  rate?: string;
  drain?: string;
  writeLatency?: string;
  writeRate?: string;
  memory?: string;
  bottleneck?: string;
  search?: boolean;
  searchSteps?: string;
  searchStep?: string;
}

type Units = typeof import('../../scenario/units.ts');

function unitFlag<T>(u: Units, flag: string, value: string | undefined, parse: (v: string) => T): T | undefined {
  if (value === undefined) return undefined;
  try {
    return parse(value);
  } catch (err) {
    if (err instanceof u.UnitError) throw new CliError(`${flag} ${value}: ${err.message}`, ExitCode.USAGE);
    throw err;
  }
}

function perSecond(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.replace(/\/s$/, ''));
  if (!(n > 0)) throw new CliError(`${flag} ${value}: events per second, a number > 0 (e.g. ${flag} 5000)`, ExitCode.USAGE);
  return n;
}

/** --write-latency: a duration (250ms, 1s); fractions of a millisecond as "0.5ms" */
function latencyMs(u: Units, value: string): number {
  const m = /^(\d*\.\d+)ms$/.exec(value.trim());
  return m ? Number(m[1]) : u.parseDuration(value);
}

function overridesFrom(u: Units, opts: ReproduceCliOptions): DeriveOverrides {
  if (opts.bottleneck !== undefined && opts.bottleneck !== 'disk' && opts.bottleneck !== 'consumer') {
    throw new CliError(`--bottleneck ${opts.bottleneck}: disk or consumer`, ExitCode.USAGE);
  }
  const o: DeriveOverrides = {
    offeredEventsPerSec: perSecond('--rate', opts.rate),
    drainEventsPerSec: perSecond('--drain', opts.drain),
    writeLatencyMs: unitFlag(u, '--write-latency', opts.writeLatency, (v) => latencyMs(u, v)),
    diskBytesPerSec: unitFlag(u, '--write-rate', opts.writeRate, u.parseByteRate),
    memoryBytes: unitFlag(u, '--memory', opts.memory, u.parseSize),
    bottleneck: opts.bottleneck as DeriveOverrides['bottleneck'],
  };
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as DeriveOverrides;
}

export function registerReproduceCommands(program: Command, run: (fn: () => Promise<number>) => void): void {
  jsonOptions(program.command('reproduce'), 'reproduce.json')
    .argument('<bundle>', 'a directory with what the field sent: auditctl -s/-l, rules, audit.log(s), dmesg/journal, meminfo, auditd.conf, notes')
    .description('derive a scenario from a field bundle, run it with tsauditd unbounded/block/drop, and say whether the symptom reproduced; exit 0 reproduced, 1 not, 2 unusable bundle, 3 environment')
    .option('--out <dir>', 'results root (default results/)')
    .option('--duration <duration>', 'the longest each run may take (default 2m); the derived length may be shorter')
    .option('--policies <list>', 'comma-separated policies to run (default unbounded,block,drop)')
    .option('--dry-run', 'derive and write the scenario, run nothing')
    .option('--quiet', 'print only the conclusion')
    .option('--rate <events/s>', 'the field\'s offered peak, events/s (over the log, the notes and lost records)')
    .option('--drain <events/s>', 'what the field daemon drained, events/s')
    .option('--write-latency <duration>', 'per write on the log\'s disk (250ms, 0.5ms)')
    .option('--write-rate <rate>', 'what the log\'s disk took (e.g. 512KiB/s)')
    .option('--memory <size>', 'the field host\'s available memory (e.g. 4GiB)')
    .option('--bottleneck <disk|consumer>', 'what held the field daemon back')
    .option('--search', 'if unbounded does not show the symptom: raise the offered load (then lower the drain) step by step until it does')
    .option('--search-steps <n>', 'at most this many search steps (default 6)')
    .option('--search-step <duration>', 'each search step\'s run length (default 10s)')
    .action((bundle: string, opts: ReproduceCliOptions & JsonOutputOptions) => run(() => withJsonOutput(opts, async () => {
      const [{ deriveFromBundle, UnusableBundleError }, { BundleError }, { formatBundleReport, formatDerived }, { reproduce }, { scaleToHost }, units] =
        await Promise.all([
          import('../../reproduce/derive.ts'), import('../../reproduce/bundle-files.ts'), import('../../reproduce/print-derived.ts'),
          import('../../reproduce/reproduce.ts'), import('../../reproduce/scale.ts'), import('../../scenario/units.ts'),
        ]);
      const { parseDuration, UnitError } = units;
      let maxDurationMs: number | undefined;
      try {
        maxDurationMs = opts.duration ? parseDuration(opts.duration) : undefined;
      } catch (err) {
        if (err instanceof UnitError) throw new CliError(`--duration ${opts.duration}: ${err.message}`, ExitCode.USAGE);
        throw err;
      }
      const policies = opts.policies?.split(',').map((p) => p.trim()) as Policy[] | undefined;
      for (const p of policies ?? []) if (!POLICIES.includes(p)) throw new CliError(`--policies: ${p} is not one of ${POLICIES.join(', ')}`, ExitCode.USAGE);
      const overrides = overridesFrom(units, opts);
      const steps = opts.searchSteps !== undefined ? Number(opts.searchSteps) : undefined;
      if (steps !== undefined && !(Number.isInteger(steps) && steps >= 1 && steps <= 50)) throw new CliError(`--search-steps ${opts.searchSteps}: a whole number from 1 to 50`, ExitCode.USAGE);
      const stepMs = unitFlag(units, '--search-step', opts.searchStep, parseDuration);
      let derived;
      try {
        derived = deriveFromBundle(resolve(bundle), overrides);
      } catch (err) {
        if (err instanceof UnusableBundleError) {
          console.error(formatBundleReport(err.derivedSoFar).join('\n'));
          throw new CliError(`unusable bundle: ${err.message}`, ExitCode.USAGE);
        }
        if (err instanceof BundleError) throw new CliError(err.message, ExitCode.USAGE);
        throw err;
      }
      if (!opts.quiet) console.log(formatDerived(derived, scaleToHost(derived, { maxDurationMs })));
      const result = await reproduce({
        bundle, outRoot: opts.out ? resolve(opts.out) : undefined, maxDurationMs, policies, dryRun: opts.dryRun, overrides,
        search: opts.search || steps || stepMs ? { maxSteps: steps, stepMs } : undefined,
        onLine: opts.quiet ? undefined : (l) => console.log(l),
      });
      console.log(`\n${result.conclusion}`);
      if (result.advice.length) console.log(['What to change:', ...result.advice.map((a) => `  - ${a}`)].join('\n'));
      console.log(`reproduce.json: ${result.dir}/reproduce.json`);
      const { readFileSync } = await import('node:fs');
      const json: unknown = JSON.parse(readFileSync(`${result.dir}/reproduce.json`, 'utf8'));
      const noRun = !opts.dryRun && !result.reproduced && result.runs.length > 0 && result.runs.every((r) => r.invalid);
      return { code: opts.dryRun || result.reproduced ? ExitCode.OK : noRun ? ExitCode.ENVIRONMENT : ExitCode.FAILED, result: json };
    })));
}
