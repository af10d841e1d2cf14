// Any command line that registers as the audit daemon, plus the path of its log: for daemons
// auditstorm has no adapter for (go-audit, a vendor agent, a build of auditd from source).
import { isAbsolute, resolve } from 'node:path';
import { ProcessDaemon, type DaemonSpec, type StartContext } from './daemon.ts';

export class CommandDaemon extends ProcessDaemon {
  readonly kind = 'command' as const;
  readonly policy = null;
  readonly label: string;

  constructor(private readonly spec: DaemonSpec) {
    super();
    if (!spec.command?.length) throw new Error('daemon.command is required for a command daemon (the command line to run)');
    if (!spec.log) throw new Error('daemon.log is required for a command daemon (the log file it writes)');
    this.logFile = isAbsolute(spec.log) ? spec.log : resolve(spec.log);
    this.label = `command:${spec.command[0]}`;
  }

  async start(ctx: StartContext): Promise<void> {
    this.ctx = ctx;
    const [file, ...args] = this.spec.command!;
    await this.proc.spawn(ctx, file!, args, this.label);
  }

  version(): string { return 'unknown'; }

  override statsPath(): string | null {
    if (!this.spec.stats) return null;
    return isAbsolute(this.spec.stats) ? this.spec.stats : resolve(this.spec.stats);
  }
}
