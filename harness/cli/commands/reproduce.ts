// reproduce BUNDLE: a field incident bundle -> a derived scenario, run under tsauditd with
// unbounded, block and drop; reproduce.json and a plain-language conclusion.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { POLICIES, type Policy } from '../../scenario/names.ts';
import { ExitCode } from '../exit-codes.ts';
import { CliError } from '../output.ts';

interface ReproduceCliOptions {
  out?: string;
  duration?: string;
  policies?: string;
  dryRun?: boolean;
  quiet?: boolean;
}

export function registerReproduceCommands(program: Command, run: (fn: () => Promise<number>) => void): void {
  program.command('reproduce')
    .argument('<bundle>', 'a directory with what the field sent: auditctl -s/-l, rules, audit.log(s), dmesg/journal, meminfo, auditd.conf, notes')
    .description('derive a scenario from a field bundle, run it with tsauditd unbounded/block/drop, and say whether the symptom reproduced; exit 0 reproduced, 1 not, 2 unusable bundle, 3 environment')
    .option('--out <dir>', 'results root (default results/)')
    .option('--duration <duration>', 'the longest each run may take (default 2m); the derived length may be shorter')
    .option('--policies <list>', 'comma-separated policies to run (default unbounded,block,drop)')
    .option('--dry-run', 'derive and write the scenario, run nothing')
    .option('--quiet', 'print only the conclusion')
    .action((bundle: string, opts: ReproduceCliOptions) => run(async () => {
      const [{ deriveFromBundle, UnusableBundleError }, { BundleError }, { formatBundleReport, formatDerived }, { reproduce }, { scaleToHost }, { parseDuration, UnitError }] =
        await Promise.all([
          import('../../reproduce/derive.ts'), import('../../reproduce/bundle-files.ts'), import('../../reproduce/print-derived.ts'),
          import('../../reproduce/reproduce.ts'), import('../../reproduce/scale.ts'), import('../../scenario/units.ts'),
        ]);
      let maxDurationMs: number | undefined;
      try {
        maxDurationMs = opts.duration ? parseDuration(opts.duration) : undefined;
      } catch (err) {
        if (err instanceof UnitError) throw new CliError(`--duration ${opts.duration}: ${err.message}`, ExitCode.USAGE);
        throw err;
      }
      const policies = opts.policies?.split(',').map((p) => p.trim()) as Policy[] | undefined;
      for (const p of policies ?? []) if (!POLICIES.includes(p)) throw new CliError(`--policies: ${p} is not one of ${POLICIES.join(', ')}`, ExitCode.USAGE);
      let derived;
      try {
        derived = deriveFromBundle(resolve(bundle));
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
        bundle, outRoot: opts.out ? resolve(opts.out) : undefined, maxDurationMs, policies, dryRun: opts.dryRun,
        onLine: opts.quiet ? undefined : (l) => console.log(l),
      });
      console.log(`\n${result.conclusion}`);
      console.log(`reproduce.json: ${result.dir}/reproduce.json`);
      if (opts.dryRun) return ExitCode.OK;
      return result.reproduced ? ExitCode.OK : ExitCode.FAILED;
    }));
}
