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
