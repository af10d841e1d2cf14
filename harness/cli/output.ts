// How commands report: errors on stderr with the reason and the fix, and an exit code that tells
// a CI job what happened (see exit-codes.ts).
import { AuditError } from '../kernel/errors.ts';
import { LockHeldError } from '../host/lock.ts';
import { LeftoverStateError } from '../host/host-session.ts';
import { SetupError } from '../host/setup.ts';
import { RuleError } from '../rules/errors.ts';
import { ScenarioError } from '../scenario/load-scenario.ts';
import { UnitError } from '../scenario/units.ts';
import { ConfigError } from '../../auditd/config.ts';
import { ExitCode } from './exit-codes.ts';

/** An error whose message is meant for the user as is, with the exit code it implies. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'CliError';
  }
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof RuleError || err instanceof ScenarioError || err instanceof UnitError || err instanceof ConfigError ||
    err instanceof RangeError) return ExitCode.USAGE;
  if (err instanceof LockHeldError || err instanceof LeftoverStateError || err instanceof SetupError) return ExitCode.ENVIRONMENT;
  if (err instanceof AuditError) {
    return ['EPERM', 'EACCES', 'ECONNREFUSED', 'ETIMEDOUT', 'EEXIST'].includes(err.code) ? ExitCode.ENVIRONMENT : ExitCode.USAGE;
  }
  const exitCode = (err as { exitCode?: unknown })?.exitCode;
  return typeof exitCode === 'number' ? exitCode : ExitCode.FAILED;
}

export function reportError(err: unknown): number {
  const code = exitCodeOf(err);
  const known = err instanceof Error && (err.name !== 'Error' || code !== ExitCode.FAILED);
  process.stderr.write(`auditstorm: ${known ? (err as Error).message : (err as Error)?.stack ?? String(err)}\n`);
  return code;
}
