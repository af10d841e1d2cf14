// Run work that changes the machine so that every exit path restores it: normal end, error,
// SIGINT, SIGTERM, SIGHUP, uncaught exception. A first signal asks the work to stop (it still
// writes what it measured); a second, or a stop that takes too long, restores at once and exits.
import { HostSession, type BeginOptions, type RestoreReport } from './host-session.ts';

export interface SessionContext {
  session: HostSession;
  /** aborted on the first SIGINT/SIGTERM/SIGHUP */
  signal: AbortSignal;
}

export interface WithSessionOptions extends BeginOptions {
  /** how long the work may take to stop after a signal before we restore and exit anyway */
  stopGraceMs?: number;
  onRestore?: (report: RestoreReport) => void;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const exitCodeFor = (sig: NodeJS.Signals) => 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[sig]!;

/** Why the work was asked to stop: the signal, and the exit code it implies (128 + its number:
 *  130 SIGINT, 143 SIGTERM, 129 SIGHUP). */
export class InterruptedError extends Error {
  readonly exitCode: number;
  constructor(readonly signalName: NodeJS.Signals) {
    super(`interrupted by ${signalName}`);
    this.name = 'InterruptedError';
    this.exitCode = exitCodeFor(signalName);
  }
}

/** The exit code for work stopped by `signal` (aborted by withHostSession); 130 if it says no signal. */
export function interruptExitCode(signal: AbortSignal): number {
  return signal.reason instanceof InterruptedError ? signal.reason.exitCode : 130;
}

/** An exit code that means "stopped by a signal" (129, 130, 143). */
export const isInterruptExit = (code: number): boolean => code === 129 || code === 130 || code === 143;

export async function withHostSession<T>(work: (ctx: SessionContext) => Promise<T>, options: WithSessionOptions = {}): Promise<T> {
  const session = await HostSession.begin(options);
  const abort = new AbortController();
  let restoring: Promise<RestoreReport> | undefined;
  const restore = () => (restoring ??= session.restore().then((r) => { options.onRestore?.(r); return r; }));
  const hardExit = async (code: number) => {
    await restore();
    process.exit(code);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      void hardExit(exitCodeFor(sig));
      return;
    }
    process.exitCode = exitCodeFor(sig);
    abort.abort(new InterruptedError(sig));
    setTimeout(() => void hardExit(exitCodeFor(sig)), options.stopGraceMs ?? 15000).unref();
  };
  const onFatal = (err: unknown) => {
    process.stderr.write(`auditstorm: fatal: ${(err as Error)?.stack ?? String(err)}\n`);
    void hardExit(1);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  try {
    return await work({ session, signal: abort.signal });
  } finally {
    await restore();
    for (const s of SIGNALS) process.off(s, onSignal);
    process.off('uncaughtException', onFatal);
    process.off('unhandledRejection', onFatal);
  }
}
