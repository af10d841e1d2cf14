// Any command line that registers as the audit daemon, and the log it writes: for daemons
// auditstorm has no adapter for (auditd with plugins, go-audit, a vendor agent, a build from
// source). The contract (docs/daemons.md): it registers with the kernel itself, as the pid it
// was started as or as a process it started (a wrapper that starts and supervises the daemon:
// the registered process is then the one measured), stays in the foreground, and exits on
// SIGTERM after writing what it accepted. The harness gives it directories through placeholders
// in its command line, its log path and its pid files.
import { mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ProcessDaemon, type DaemonSpec, type StartContext } from './daemon.ts';

/** What the harness gives a command daemon, by placeholder. */
export interface CommandPlaces {
  /** @LOGDIR@: a directory for its log; on the run's own filesystem when a disk fault needs one */
  logDir: string;
  /** @LOG@: the log file the harness reads (daemon.log, default @LOGDIR@/audit.log) */
  log: string;
  /** @CONFDIR@: an empty directory of its own for generated config, state and pid files */
  confDir: string;
}

export const PLACEHOLDERS = ['@LOG@', '@LOGDIR@', '@CONFDIR@'] as const;
export const DEFAULT_COMMAND_LOG = '@LOGDIR@/audit.log';

export function commandPlaces(workDir: string, logDir: string | undefined, log: string | undefined): CommandPlaces {
  const confDir = join(workDir, 'command', 'conf');
  const dir = logDir ?? join(workDir, 'command', 'log');
  const raw = fill(log ?? DEFAULT_COMMAND_LOG, { logDir: dir, log: '', confDir });
  return { logDir: dir, confDir, log: isAbsolute(raw) ? raw : resolve(raw) };
}

/** Replace the placeholders in one word. */
export function fill(word: string, p: CommandPlaces): string {
  return word.replaceAll('@LOGDIR@', p.logDir).replaceAll('@CONFDIR@', p.confDir).replaceAll('@LOG@', p.log);
}

/** Does the log live where the harness puts disk faults (under @LOGDIR@)? */
export const logUnderLogDir = (log: string | undefined): boolean => (log ?? DEFAULT_COMMAND_LOG).startsWith('@LOGDIR@/');

export class CommandDaemon extends ProcessDaemon {
  readonly kind = 'command' as const;
  readonly policy = null;
  readonly label: string;
  private places: CommandPlaces | null = null;

  constructor(private readonly spec: DaemonSpec) {
    super();
    if (!spec.command?.length) throw new Error('daemon.command is required for a command daemon (the command line to run)');
    this.label = `command:${spec.command[0]!.split('/').pop()}`;
    // known before start (late-start, a log read before the first start)
    this.logFile = spec.log && !spec.log.includes('@') ? resolve(spec.log) : '';
  }

  async start(ctx: StartContext): Promise<void> {
    this.ctx = ctx;
    const p = commandPlaces(ctx.workDir, ctx.logDir, this.spec.log);
    this.places = p;
    mkdirSync(p.confDir, { recursive: true });
    mkdirSync(p.logDir, { recursive: true });
    this.logFile = p.log;
    const [file, ...args] = this.spec.command!.map((w) => fill(w, p));
    await this.proc.spawn(ctx, file!, args, this.label, 'tree');
  }

  processPid(name: string): number | null {
    const pidFile = this.spec.processes?.[name];
    if (!pidFile || !this.places) return null;
    try {
      const pid = Number(readFileSync(fill(pidFile, this.places), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : null;
    } catch {
      return null;
    }
  }

  version(): string { return 'unknown'; }

  override statsPath(): string | null {
    if (!this.spec.stats) return null;
    return isAbsolute(this.spec.stats) ? this.spec.stats : resolve(this.spec.stats);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
