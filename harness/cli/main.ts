// The `auditstorm` command line: one file per group of commands under commands/.
import { Command, CommanderError } from 'commander';
import { ExitCode } from './exit-codes.ts';
import { reportError } from './output.ts';
import { registerHostCommands } from './commands/host.ts';
import { registerRulesCommands } from './commands/rules.ts';
import { registerBenchCommands } from './commands/bench.ts';
import { registerRunCommands, registerScenarioCommands } from './commands/run.ts';
import { registerReproduceCommands } from './commands/reproduce.ts';
import { registerSoakCommands } from './commands/soak.ts';
import { registerReportCommands } from './commands/report.ts';

function run(fn: () => Promise<number>): void {
  fn().then(
    (code) => { process.exitCode = code; },
    (err) => { process.exitCode = reportError(err); },
  );
}

export function buildProgram(): Command {
  const program = new Command('auditstorm')
    .description('stress-test and fault-inject Linux audit daemons on a real kernel')
    .exitOverride()
    .showHelpAfterError();
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
    process.exitCode = reportError(err);
  }
}
