// The daemon under test, as the runner sees it, whatever it is: started inside the run's cgroup,
// registered with the kernel, its log found, its stats read if it has any, stopped with SIGTERM.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import type { AuditControl } from '../kernel/audit-control.ts';
import type { HostSession } from '../host/host-session.ts';
import type { RunCgroup } from '../host/cgroup-types.ts';
import { killStep } from '../host/undo-steps.ts';

export type DaemonKind = 'tsauditd' | 'auditd' | 'command';
export type Policy = 'block' | 'drop' | 'unbounded';

export interface DaemonSpec {
  kind: DaemonKind;
  /** tsauditd only */
  policy?: Policy;
  /** auditd.conf overrides (tsauditd and auditd) */
  config?: Record<string, string | number | boolean>;
  /** written to /proc/PID/oom_score_adj after start (auditd writes -1000 itself) */
  oomScoreAdj?: number;
  /** command: the command line, and the log it writes (both may hold @LOG@, @LOGDIR@, @CONFDIR@) */
  command?: string[];
  log?: string;
  /** command: other processes of the setup, by name -> pid file (for faults with `process:`) */
  processes?: Record<string, string>;
  /** command: a JSON stats file it writes (optional) */
  stats?: string;
}

/** who may register: the started process, or (tree) any process it started, however deep */
export type Follow = 'started' | 'tree';

export interface StartContext {
  workDir: string;
  session: HostSession;
  control: AuditControl;
  cgroup: RunCgroup | null;
  /** the daemon's stdout/stderr go here */
  outputFile: string;
  /** where the log goes (a fault's own filesystem, e.g. a loop mount); default: under workDir */
  logDir?: string;
}

export interface StopResult {
  exitCode: number | null;
  signal: string | null;
  /** how long SIGTERM to exit took: draining the queue is part of it */
  stopMs: number;
}

export interface DaemonUnderTest {
  readonly kind: DaemonKind;
  readonly policy: Policy | null;
  /** label for results: tsauditd:block, auditd, command */
  readonly label: string;
  start(ctx: StartContext): Promise<void>;
  pid(): number | null;
  /** the daemon's stats file (tsauditd), read by the daemon-stats monitor */
  statsPath(): string | null;
  /** current log and rotated logs, oldest first */
  logFiles(): string[];
  /** the memory the daemon promises to stay within above its idle RSS (tsauditd), for expect
   *  peak_rss_max: hwm: null when it promises none */
  queueBoundBytes(): number | null;
  /** what that promise is made of, for the verdict's detail (queue, reserve, socket cushion) */
  queueBoundParts(): BoundPart[];
  exited(): boolean;
  stop(timeoutMs?: number): Promise<StopResult>;
  /** SIGKILL (crash fault) and forget the process; start() may be called again */
  kill(): Promise<void>;
  version(): string;
  /** the pid of a named process of the setup (a collector, a supervisor), from its pid file */
  processPid?(name: string): number | null;
}

/** one term of a daemon's memory promise: what it is (the config key) and its bytes */
export interface BoundPart { name: string; bytes: number }

const REGISTER_TIMEOUT_MS = 15_000;

/** Start a process that must register as the audit daemon; shared by every adapter. */
export class SpawnedDaemon {
  private proc: ResultPromise | null = null;
  private trackId: number | null = null;
  private exitedFlag = false;
  private exitInfo: { exitCode: number | null; signal: string | null } | null = null;
  /** the pid the kernel lists as registered (the started one, or one of its group: follow) */
  private registered: number | null = null;

  async spawn(ctx: StartContext, file: string, args: string[], label: string, follow: Follow = 'started'): Promise<number> {
    mkdirSync(dirname(ctx.outputFile), { recursive: true });
    const out = { file: ctx.outputFile, append: true } as const;
    const cmd = ctx.cgroup ? ctx.cgroup.spawnArgs(file, args) : { file, args };
    this.exitedFlag = false;
    this.exitInfo = null;
    this.registered = null;
    // detached: its own process group, so a stop or an undo reaches its plugins too
    const proc = execa(cmd.file, cmd.args, {
      detached: true, cleanup: false, reject: false, stdin: 'ignore', stdout: out, stderr: out,
    });
    this.proc = proc;
    const pid = proc.pid;
    if (!pid) throw new Error(`${label}: could not start ${file}`);
    this.trackId = ctx.session.track('daemon', `${label} (pid ${pid})`, [killStep(pid, true)]);
    void proc.then((r) => {
      this.exitedFlag = true;
      this.exitInfo = { exitCode: r.exitCode ?? null, signal: r.signal ?? null };
    });
    this.registered = await this.waitRegistered(ctx, pid, label, follow);
    return this.registered;
  }

  private async waitRegistered(ctx: StartContext, pid: number, label: string, follow: Follow): Promise<number> {
    const deadline = Date.now() + REGISTER_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.exitedFlag) {
        throw new Error(`${label} exited (${JSON.stringify(this.exitInfo)}) before registering with the kernel; ` +
          `its output: ${tail(ctx.outputFile)}`);
      }
      const status = await ctx.control.getStatus();
      if (status.pid === pid) return pid;
      if (follow === 'tree' && status.pid > 0 && isDescendant(status.pid, pid)) return status.pid;
      await sleep(50);
    }
    const other = (await ctx.control.getStatus()).pid;
    throw new Error(`${label} (pid ${pid}) did not register as the audit daemon within ${REGISTER_TIMEOUT_MS / 1000} s` +
      (other ? ` (pid ${other} is registered, ${follow === 'started' ? 'not this process' : 'not a process this one started'})` : '') +
      `; its output: ${tail(ctx.outputFile)}`);
  }

  /** the registered process while it lives (with follow: group, the wrapper's child) */
  pid(): number | null {
    if (!this.proc || this.exitedFlag) return null;
    const r = this.registered ?? this.proc.pid ?? null;
    return r !== null && r !== this.proc.pid && procStat(r) === null ? null : r;
  }

  /** the started process ended, or the registered one it started did */
  exited(): boolean {
    if (this.exitedFlag) return true;
    return this.registered !== null && this.registered !== this.proc?.pid && procStat(this.registered) === null;
  }

  async stop(session: HostSession, timeoutMs = 60_000): Promise<StopResult> {
    const proc = this.proc;
    const started = Date.now();
    if (!proc || this.exitedFlag) return { ...(this.exitInfo ?? { exitCode: null, signal: null }), stopMs: 0 };
    // known now: once the wrapper exits, its orphans are no longer its descendants
    const leftovers = descendants(proc.pid!);
    // continue first: a stopped daemon (stall fault) cannot act on SIGTERM
    try { process.kill(proc.pid!, 'SIGCONT'); } catch { /* gone */ }
    proc.kill('SIGTERM');
    const timer = setTimeout(() => killTree(proc.pid!), timeoutMs);
    await proc;
    clearTimeout(timer);
    // its plugins and helpers share its process group (or, started by a wrapper, its tree)
    killTree(proc.pid!, leftovers);
    if (this.trackId !== null) session.untrack(this.trackId);
    this.trackId = null;
    return { ...(this.exitInfo ?? { exitCode: null, signal: null }), stopMs: Date.now() - started };
  }

  async kill(session: HostSession): Promise<void> {
    const proc = this.proc;
    if (!proc || this.exitedFlag) return;
    killTree(proc.pid!);
    await proc;
    if (this.trackId !== null) session.untrack(this.trackId);
    this.trackId = null;
  }
}

/** What every adapter shares: one spawned process, its log and its stop; adapters add how to
 *  start it and what they know beyond that (stats, a queue bound). */
export abstract class ProcessDaemon implements DaemonUnderTest {
  abstract readonly kind: DaemonKind;
  abstract readonly policy: Policy | null;
  abstract readonly label: string;
  protected readonly proc = new SpawnedDaemon();
  protected ctx: StartContext | null = null;
  protected logFile = '';

  abstract start(ctx: StartContext): Promise<void>;
  abstract version(): string;

  pid(): number | null { return this.proc.pid(); }
  statsPath(): string | null { return null; }
  logFiles(): string[] { return rotatedLogs(this.logFile); }
  queueBoundBytes(): number | null { return null; }
  queueBoundParts(): BoundPart[] { return []; }
  exited(): boolean { return this.proc.exited(); }
  stop(timeoutMs?: number): Promise<StopResult> { return this.proc.stop(this.ctx!.session, timeoutMs); }
  kill(): Promise<void> { return this.proc.kill(this.ctx!.session); }
}

/** A live process's parent and process group (/proc/PID/stat); null when gone or a zombie. */
function procStat(pid: number): { ppid: number; pgid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? null : { ppid: Number(fields[1]), pgid: Number(fields[2]) };
  } catch {
    return null;
  }
}

/** Is pid a child, grandchild... of ancestor? (auditd -n calls setsid: a process group does not
 *  follow it, its parent chain does.) */
export function isDescendant(pid: number, ancestor: number): boolean {
  for (let p = pid, i = 0; p > 1 && i < 64; i++) {
    const st = procStat(p);
    if (!st) return false;
    if (st.ppid === ancestor) return true;
    p = st.ppid;
  }
  return false;
}

/** Every live descendant of pid (a scan of /proc). */
export function descendants(pid: number): number[] {
  let pids: number[] = [];
  try { pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number); } catch { return []; }
  return pids.filter((p) => p !== pid && isDescendant(p, pid));
}

/** SIGKILL a process group and every process of the tree below it, even those in sessions of
 *  their own (plus `also`: orphans found before their parent went). */
function killTree(pid: number, also: number[] = []): void {
  const tree = [...descendants(pid), ...also];
  try { process.kill(-pid, 'SIGKILL'); } catch { /* none left */ }
  for (const p of tree) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
}

/** Write oom_score_adj for a pid; raising always works, lowering needs CAP_SYS_RESOURCE. */
export function setOomScoreAdj(pid: number, value: number): string | null {
  try {
    writeFileSync(`/proc/${pid}/oom_score_adj`, String(value));
    return null;
  } catch (err) {
    return `could not set oom_score_adj ${value} for pid ${pid}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` +
      (value < 0 ? ' (lowering needs CAP_SYS_RESOURCE)' : '');
  }
}

/** A log file and its rotations (audit.log.N ... audit.log.1, audit.log), oldest first. */
export function rotatedLogs(logFile: string): string[] {
  const dir = dirname(logFile);
  const base = basename(logFile);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const rotated = names
    .map((n) => ({ n, m: new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)$`).exec(n) }))
    .filter((x) => x.m)
    .sort((a, b) => Number(b.m![1]) - Number(a.m![1]))
    .map((x) => join(dir, x.n));
  return names.includes(base) ? [...rotated, logFile] : rotated;
}

export function tail(file: string, bytes = 2000): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-bytes).trim() || '(nothing)';
  } catch {
    return '(no output file)';
  }
}
