// Bystanders: small processes placed in the daemon's memory cgroup, each holding N MiB of
// touched memory and idling, with oom_score_adj raised (default +1000). When the daemon bloats
// and the cgroup hits its limit, the OOM killer shoots them first: "everyone else gets shot".
// (Raising oom_score_adj needs no privilege; lowering it needs CAP_SYS_RESOURCE, which root
// lacks on our VMs, so we make the others more killable instead of the daemon less.)
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { RunCgroup } from './cgroup-types.ts';
import { killStep, type UndoStep } from './undo-steps.ts';

// Runs as `node -e SCRIPT MIB ADJ NAME`. Touches every page (fill with non-zero) so the memory
// is really resident and charged to the cgroup, then reports and idles.
export const BYSTANDER_SCRIPT = `
const [mib, adj, name] = process.argv.slice(1);
process.title = name;
require('fs').writeFileSync('/proc/self/oom_score_adj', adj);
const keep = [];
for (let i = 0; i < Number(mib); i++) keep.push(Buffer.alloc(1 << 20).fill(1 + (i % 250)));
const st = require('fs').readFileSync('/proc/self/status', 'utf8');
const rssKiB = Number(/VmRSS:\\s+(\\d+)/.exec(st)[1]);
const adjNow = Number(require('fs').readFileSync('/proc/self/oom_score_adj', 'utf8'));
process.stdout.write(JSON.stringify({ ready: true, pid: process.pid, rssKiB, oomScoreAdj: adjNow }) + '\\n');
setInterval(() => keep.length, 1 << 30);
`;

export interface BystanderOptions {
  cgroup: RunCgroup;
  /** how many (default 2) */
  count?: number;
  /** MiB each allocates and touches (default 16) */
  mib?: number;
  /** default +1000: first in line for the OOM killer */
  oomScoreAdj?: number;
  /** process name (comm, max 15 chars) prefix; the index is appended (default "bystander") */
  namePrefix?: string;
  /** ms to wait for each to report ready (default 10000) */
  readyTimeoutMs?: number;
}

/** oom-killer: the kernel's OOM report named it; stopped: stop() ended it; signal/exit: anything else */
export type DeathCause = 'oom-killer' | 'stopped' | 'signal' | 'exit';

export interface BystanderState {
  index: number;
  name: string;
  pid: number;
  /** VmRSS when it reported ready, bytes */
  rssBytes: number;
  oomScoreAdj: number;
  alive: boolean;
  /** epoch ms of its exit */
  exitedAt: number | null;
  signal: NodeJS.Signals | null;
  exitCode: number | null;
  /** the kernel's OOM report named this pid */
  oomKilled: boolean;
  killedBy: DeathCause | null;
}

export class BystanderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BystanderError';
  }
}

interface Entry {
  child: ChildProcess;
  state: BystanderState;
  exited: Promise<void>;
}

export class Bystanders {
  private readonly entries: Entry[] = [];
  private readonly oomPids = new Set<number>();
  private readonly exitListeners = new Set<(s: BystanderState) => void>();
  private readonly stoppedByUs = new Set<number>();

  private constructor() {}

  static async start(options: BystanderOptions): Promise<Bystanders> {
    const b = new Bystanders();
    try {
      for (let i = 0; i < (options.count ?? 2); i++) await b.spawnOne(i, options);
    } catch (err) {
      await b.stop();
      throw err;
    }
    return b;
  }

  private async spawnOne(index: number, o: BystanderOptions): Promise<void> {
    const mib = o.mib ?? 16;
    const adj = o.oomScoreAdj ?? 1000;
    const name = `${o.namePrefix ?? 'bystander'}-${index}`.slice(0, 15);
    const { file, args } = o.cgroup.spawnArgs(process.execPath, ['-e', BYSTANDER_SCRIPT, String(mib), String(adj), name]);
    // Own process group: a terminal's Ctrl-C does not reach it; the runner ends it on purpose.
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const state: BystanderState = {
      index, name, pid: child.pid ?? -1, rssBytes: 0, oomScoreAdj: adj, alive: true,
      exitedAt: null, signal: null, exitCode: null, oomKilled: false, killedBy: null,
    };
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { if (stderr.length < 4000) stderr += d.toString(); });
    const exited = new Promise<void>((resolve) => {
      child.on('exit', (code, signal) => {
        state.alive = false;
        state.exitedAt = Date.now();
        state.exitCode = code;
        state.signal = signal;
        this.attribute(state);
        for (const l of this.exitListeners) l({ ...state });
        resolve();
      });
    });
    this.entries.push({ child, state, exited });
    const ready = await new Promise<{ rssKiB: number; oomScoreAdj: number } | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), o.readyTimeoutMs ?? 10_000);
      const rl = createInterface({ input: child.stdout! });
      rl.once('line', (line) => {
        clearTimeout(timer);
        try { resolve(JSON.parse(line)); } catch { resolve(null); }
      });
      void exited.then(() => { clearTimeout(timer); resolve(null); });
    });
    if (!ready) {
      throw new BystanderError(`bystander ${name} did not start (pid ${state.pid}, ` +
        `${state.alive ? 'no ready line in time' : `exited ${state.signal ?? state.exitCode}`}): ${stderr.trim() || 'no stderr'}` +
        ` (a cgroup limit below ${mib} MiB plus Node's own ~40 MiB kills it while allocating)`);
    }
    state.rssBytes = ready.rssKiB * 1024;
    state.oomScoreAdj = ready.oomScoreAdj;
  }

  private attribute(s: BystanderState): void {
    if (this.oomPids.has(s.pid)) s.oomKilled = true;
    if (s.alive) return;
    s.killedBy = s.oomKilled ? 'oom-killer' : this.stoppedByUs.has(s.pid) ? 'stopped' : s.signal ? 'signal' : 'exit';
  }

  /** Feed kernel messages (KmsgMonitor.on or Sampler events: an oom-kill with its pid) so deaths are attributed. */
  noteKmsg(event: { kind?: string; event?: string; pid?: unknown }): void {
    const kind = 'kind' in event ? event.kind : (event as { event?: string }).event;
    if (kind !== 'oom-kill') return;
    const pid = Number((event as { pid?: unknown }).pid);
    this.oomPids.add(pid);
    for (const e of this.entries) if (e.state.pid === pid) this.attribute(e.state);
  }

  onExit(l: (s: BystanderState) => void): () => void {
    this.exitListeners.add(l);
    return () => this.exitListeners.delete(l);
  }

  pids(): number[] {
    return this.entries.map((e) => e.state.pid);
  }

  list(): BystanderState[] {
    return this.entries.map((e) => {
      this.attribute(e.state);
      return { ...e.state };
    });
  }

  /** For HostSession.track(): how `auditstorm reset` kills them after a SIGKILL. */
  undoSteps(): UndoStep[] {
    return this.entries.map((e) => killStep(e.state.pid, true));
  }

  /** Kill the survivors and wait for them. Idempotent. */
  async stop(): Promise<BystanderState[]> {
    for (const e of this.entries) {
      if (e.state.alive) {
        this.stoppedByUs.add(e.state.pid);
        try { process.kill(-e.state.pid, 'SIGKILL'); } catch { try { e.child.kill('SIGKILL'); } catch { /* gone */ } }
      }
    }
    await Promise.all(this.entries.map((e) => e.exited));
    return this.list();
  }
}
