// auditd's signal interface: TERM (and INT) stop, HUP reload, USR1 rotate, USR2 resume,
// CONT write the state report.
import type { Daemon } from './main.ts';

export function installSignals(daemon: Daemon, onExit: (code: number) => void): () => void {
  const stop = (sig: string) => () => {
    daemon.stop(sig).then(onExit, (err: Error) => {
      daemon.log.error(`stop failed: ${err.stack ?? err.message}`);
      onExit(1);
    });
  };
  const handlers: [NodeJS.Signals, () => void][] = [
    ['SIGTERM', stop('SIGTERM')],
    ['SIGINT', stop('SIGINT')],
    ['SIGHUP', () => daemon.reload()],
    ['SIGUSR1', () => void daemon.rotate()],
    ['SIGUSR2', () => daemon.resume()],
    ['SIGCONT', () => daemon.writeState()],
  ];
  for (const [sig, h] of handlers) process.on(sig, h);
  return () => { for (const [sig, h] of handlers) process.off(sig, h); };
}
