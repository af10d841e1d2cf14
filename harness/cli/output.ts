// How commands report: errors on stderr with the reason and the fix, and an exit code that tells
// a CI job what happened (see exit-codes.ts).
import { ExitCode } from './exit-codes.ts';

/** An error whose message is meant for the user as is, with the exit code it implies. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'CliError';
  }
}

/** The modules whose errors have their own exit code: loaded when an error is reported, so a
 *  command that succeeds never loads the others (the CLI loads only the command it runs). */
async function errorClasses() {
  const [{ AuditError }, { LockHeldError }, { LeftoverStateError }, { SetupError }, { RuleError }, { ScenarioError }, { UnitError }, { ConfigError }] =
    await Promise.all([
      import('../kernel/errors.ts'), import('../host/lock.ts'), import('../host/host-session.ts'), import('../host/setup.ts'),
      import('../rules/errors.ts'), import('../scenario/load-scenario.ts'), import('../scenario/units.ts'), import('../../auditd/config.ts'),
    ]);
  return { AuditError, LockHeldError, LeftoverStateError, SetupError, RuleError, ScenarioError, UnitError, ConfigError };
}

export async function exitCodeOf(err: unknown): Promise<number> {
  if (err instanceof CliError) return err.exitCode;
  const { AuditError, LockHeldError, LeftoverStateError, SetupError, RuleError, ScenarioError, UnitError, ConfigError } = await errorClasses();
  if (err instanceof RuleError || err instanceof ScenarioError || err instanceof UnitError || err instanceof ConfigError ||
    err instanceof RangeError) return ExitCode.USAGE;
  if (err instanceof LockHeldError || err instanceof LeftoverStateError || err instanceof SetupError) return ExitCode.ENVIRONMENT;
  if (err instanceof AuditError) {
    return ['EPERM', 'EACCES', 'ECONNREFUSED', 'ETIMEDOUT', 'EEXIST'].includes(err.code) ? ExitCode.ENVIRONMENT : ExitCode.USAGE;
  }
  const exitCode = (err as { exitCode?: unknown })?.exitCode;
  return typeof exitCode === 'number' ? exitCode : ExitCode.FAILED;
}

export async function reportError(err: unknown): Promise<number> {
  const code = await exitCodeOf(err);
  const known = err instanceof Error && (err.name !== 'Error' || code !== ExitCode.FAILED);
  process.stderr.write(`auditstorm: ${known ? (err as Error).message : (err as Error)?.stack ?? String(err)}\n`);
  return code;
}

export interface JsonOutputOptions {
  /** print the command's result as JSON on stdout; everything for humans goes to stderr */
  json?: boolean;
  /** also write the result's JSON to this file */
  summaryExport?: string;
}

/** `--json` and `--summary-export FILE` for a command whose result is one JSON value. */
export function jsonOptions<C extends { option(flags: string, description: string): C }>(cmd: C, what: string): C {
  return cmd
    .option('--json', `print ${what} as JSON on stdout (progress and tables go to stderr)`)
    .option('--summary-export <file>', `also write ${what} as JSON to FILE`);
}

/** Run a command's work; with --json, its console.log lines go to stderr and its result to stdout. */
export async function withJsonOutput(opts: JsonOutputOptions, work: () => Promise<{ code: number; result: unknown }>): Promise<number> {
  const log = console.log;
  if (opts.json) console.log = (...args: unknown[]) => console.error(...args);
  let out: { code: number; result: unknown };
  try {
    out = await work();
  } finally {
    console.log = log;
  }
  const text = `${JSON.stringify(out.result, null, 2)}\n`;
  if (opts.summaryExport) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(opts.summaryExport, text);
  }
  if (opts.json) process.stdout.write(text);
  return out.code;
}
