// soak-check DIR: the leak verdict of a (possibly killed) soak's results directory, from its
// metrics (history + leftover recent segments), and how big its metrics files are.
import type { Command } from 'commander';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../exit-codes.ts';
import { CliError } from '../output.ts';

export function registerSoakCommands(program: Command, run: (fn: () => Promise<number>) => void): void {
  program.command('soak-check')
    .argument('<dir>', 'a run\'s results directory (finished or killed)')
    .description('leak check on the daemon\'s RSS after warm-up (slope with a 95% confidence bound); exit 1 on a leak')
    .option('--warmup <duration>', 'ignore this much of the start', '5m')
    .option('--limit <rate>', 'leak limit, e.g. 1MiB/h or 300B/s', '1MiB/h')
    .action((dir: string, opts: { warmup: string; limit: string }) => run(async () => {
      const [{ DownsampledSeries }, { readSoakLines }, { DEFAULT_LEAK_LIMIT, leakCheck, pointsFromBuckets }, { parseByteRate, parseDuration }] = await Promise.all([
        import('../../metrics/downsample.ts'), import('../../soak/soak-metrics-writer.ts'), import('../../soak/leak-check.ts'), import('../../scenario/units.ts'),
      ]);
      let warmupMs: number;
      let limit = DEFAULT_LEAK_LIMIT;
      try {
        warmupMs = parseDuration(opts.warmup);
        const m = /^(.*)\/h$/.exec(opts.limit);
        limit = m ? parseByteRate(`${m[1]}/s`) / 3600 : parseByteRate(opts.limit);
      } catch (err) {
        throw new CliError(`soak-check: ${(err as Error).message}`, ExitCode.USAGE);
      }
      const lines = readSoakLines(dir);
      const series = new DownsampledSeries(2048);
      for (const l of lines) if (!('event' in l) && l.rss != null) series.push(l.t, l.rss);
      const v = leakCheck(pointsFromBuckets(series.toArray(), warmupMs), limit);
      const files = readdirSync(dir).filter((f) => f.startsWith('metrics')).map((f) => `${f} ${(statSync(join(dir, f)).size / 1048576).toFixed(1)} MiB`);
      console.log(`metrics: ${files.join(', ')}; ${lines.length} lines`);
      console.log(`daemon RSS: ${v.reason} (${v.points} points, r1 ${v.r1.toFixed(2)}; ${(v.per8hBytes / 1048576).toFixed(1)} MiB per 8 h at this slope)`);
      return v.leak ? ExitCode.FAILED : ExitCode.OK;
    }));
}
