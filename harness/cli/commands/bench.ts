// bench: tsauditd against Debian's auditd, same load, same run.
import type { Command } from 'commander';
import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { ExitCode } from '../exit-codes.ts';
import { jsonOptions, withJsonOutput, type JsonOutputOptions } from '../output.ts';

export function registerBenchCommands(program: Command, run: (fn: () => Promise<number>) => void): void {
  jsonOptions(program.command('bench'), 'bench.json')
    .description('tsauditd vs Debian auditd, alternating: full-load, moderate-rate, slow-disk and idle runs, then CLI start-up; prints events/s, CPU per 100k events, RSS, losses and ratios with their targets')
    .option('--rounds <n>', 'rounds (each runs both daemons)', '2')
    .option('--duration <duration>', 'per full-load run', '20s')
    .option('--moderate-duration <duration>', 'per moderate-rate run (2 x 1,000 openat/s)', '60s')
    .option('--idle-duration <duration>', 'per idle run', '20s')
    .option('--slow-duration <duration>', 'per slow-disk run (slow-writer, runaway-queue)', '20s')
    .action((opts: { rounds: string; duration: string; moderateDuration: string; idleDuration: string; slowDuration: string } & JsonOutputOptions) => run(() => withJsonOutput(opts, async () => {
      const rounds = Number(opts.rounds);
      if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
        console.error('--rounds: an integer from 1 to 20');
        return { code: ExitCode.USAGE, result: { error: '--rounds: an integer from 1 to 20' } };
      }
      const [{ bench, formatBench }, { DEFAULT_RESULTS_ROOT }] = await Promise.all([import('../../bench/bench.ts'), import('../../run/results-dir.ts')]);
      const outRoot = join(DEFAULT_RESULTS_ROOT, `bench-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`);
      mkdirSync(outRoot, { recursive: true });
      const result = await bench({
        rounds, duration: opts.duration, moderateDuration: opts.moderateDuration, idleDuration: opts.idleDuration, slowDuration: opts.slowDuration, outRoot, log: (l) => console.log(l),
      });
      const text = formatBench(result);
      console.log(`\n${text}`);
      writeFileSync(join(outRoot, 'bench.json'), JSON.stringify(result, null, 2));
      writeFileSync(join(outRoot, 'bench.txt'), `${text}\n`);
      console.log(`\nruns and bench.json: ${outRoot}`);
      return { code: ExitCode.OK, result };
    })));
}
