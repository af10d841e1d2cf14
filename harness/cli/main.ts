// The `auditstorm` command line: one file per group of commands under commands/. Each command
// imports what it needs when it runs, so `--help` or `validate` load only commander and the
// command's own modules.
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../../lib/paths.ts';
import { ExitCode, HELP_FOOTER } from './exit-codes.ts';
import { reportError } from './output.ts';
import { registerHostCommands } from './commands/host.ts';
import { registerRulesCommands } from './commands/rules.ts';
import { registerBenchCommands } from './commands/bench.ts';
import { registerRunCommands, registerScenarioCommands } from './commands/run.ts';
import { registerReproduceCommands } from './commands/reproduce.ts';
import { registerSoakCommands } from './commands/soak.ts';
import { registerReportCommands } from './commands/report.ts';

const reported = (err: unknown) => reportError(err).then((code) => { process.exitCode = code; });

function run(fn: () => Promise<number>): void {
  fn().then(
    (code) => { process.exitCode = code; },
    reported,
  );
}

export function buildProgram(): Command {
  const program = new Command('auditstorm')
    .description('stress-test and fault-inject Linux audit daemons on a real kernel')
    .version(packageVersion(), '-V, --version', 'print auditstorm\'s version')
    .exitOverride()
    .showHelpAfterError()
    .addHelpText('after', HELP_FOOTER);
  registerHostCommands(program, run);
  registerRulesCommands(program, run);
  registerBenchCommands(program, run);
  registerRunCommands(program, run);
  registerScenarioCommands(program, run);
  registerReproduceCommands(program, run);
  registerSoakCommands(program, run);
  registerReportCommands(program, run);
  return program;
}

export function main(argv: string[]): void {
  const program = buildProgram();
  try {
    program.parse(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are not errors; everything else commander rejects is bad usage
      process.exitCode = err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
      return;
    }
    void reported(err);
  }
}
