// Any command line that registers as the audit daemon, plus the path of its log: for daemons
// auditstorm has no adapter for (go-audit, a vendor agent, a build of auditd from source).
import { isAbsolute, resolve } from 'node:path';
import { rotatedLogs, SpawnedDaemon, type DaemonSpec, type DaemonUnderTest, type StartContext, type StopResult } from './daemon.ts';

export class CommandDaemon implements DaemonUnderTest {
  readonly kind = 'command' as const;
  readonly policy = null;
  readonly label: string;
  private readonly proc = new SpawnedDaemon();
  private ctx: StartContext | null = null;
  private readonly logFile: string;

  constructor(private readonly spec: DaemonSpec) {
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

  pid(): number | null { return this.proc.pid(); }
  statsPath(): string | null { return null; }
  logFiles(): string[] { return rotatedLogs(this.logFile); }
  queueBoundBytes(): number | null { return null; }
  exited(): boolean { return this.proc.exited(); }
  stop(timeoutMs?: number): Promise<StopResult> { return this.proc.stop(this.ctx!.session, timeoutMs); }
  kill(): Promise<void> { return this.proc.kill(this.ctx!.session); }
  version(): string { return 'unknown'; }
}
