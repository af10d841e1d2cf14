// One plugin: a child process that reads string-format records on stdin, with its own bounded
// queue (q_depth records) in front of the pipe.
//
// Records count against q_depth from the moment they are queued until the pipe has taken them
// (the stream's write callback). We hand the stream more only while it does not ask us to wait
// (writableNeedDrain), so at most one chunk sits in Node's stream buffer beyond the queue; the
// kernel pipe (64 KiB) holds the rest, as it does for auditd.
//
// overflow_action:
//   drop:  records past q_depth are dropped and counted; offer() never waits.
//   block: everything offered is queued (nothing is lost); full() says the core must stop
//          feeding until the queue has room again (the dispatcher turns that into back-pressure).
// A crashed plugin is restarted up to max_restarts times with its queue kept; records that were
// in the dead pipe are counted as lost. Past max_restarts it is 'failed': its queue is dropped
// and so is everything offered later (counted), and it no longer blocks anyone.

import { spawn, type ChildProcess } from 'node:child_process';
import type { PluginStats } from './types.ts';
import type { PluginConfig } from './plugin-config.ts';

interface Chunk {
  buf: Buffer;
  count: number;
}

export interface PluginProcessStats extends PluginStats {
  overflowAction: 'drop' | 'block';
  /** records the pipe has taken */
  delivered: number;
  /** records lost because the plugin died with them in flight or after it failed for good */
  lostOnCrash: number;
}

export interface PluginProcessOptions {
  onWarn: (msg: string) => void;
  /** called when the queue goes from full to not full (block policy) or the plugin fails */
  onRoom: () => void;
  restartDelayMs?: number;
}

export class PluginProcess {
  private child: ChildProcess | null = null;
  private readonly queue: Chunk[] = [];
  private queued = 0;
  private inPipe = 0;
  private dropped = 0;
  private lostOnCrash = 0;
  private delivered = 0;
  private restarts = 0;
  private state: 'running' | 'stopped' | 'failed' = 'stopped';
  private closing = false;
  private exitWaiters: (() => void)[] = [];
  private emptyWaiters: (() => void)[] = [];
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly config: PluginConfig,
    private readonly opts: PluginProcessOptions,
  ) {}

  get depth(): number {
    return this.queued + this.inPipe;
  }

  /** Block policy only: true while the queue is at or over q_depth. */
  full(): boolean {
    return this.config.overflowAction === 'block' && this.state !== 'failed' && this.depth >= this.config.qDepth;
  }

  start(): void {
    this.spawnChild();
  }

  private spawnChild(): void {
    this.restartTimer = null;
    if (this.closing) return;
    let child: ChildProcess;
    try {
      child = spawn(this.config.path, this.config.args, { stdio: ['pipe', 'ignore', 'inherit'] });
    } catch (e) {
      this.opts.onWarn(`plugin ${this.config.name}: cannot start ${this.config.path} (${(e as Error).message})`);
      this.onChildGone(null);
      return;
    }
    this.child = child;
    this.state = 'running';
    let gone = false;
    const goneOnce = (why: string | null): void => {
      if (gone) return;
      gone = true;
      this.onChildGone(why);
    };
    child.on('error', (e) => {
      this.opts.onWarn(`plugin ${this.config.name}: ${e.message}`);
      goneOnce(e.message);
    });
    child.on('exit', (code, signal) => goneOnce(signal ? `killed by ${signal}` : `exited with ${code}`));
    // EPIPE when it dies with data in flight: counted via the write callbacks, never thrown.
    child.stdin!.on('error', () => {});
    child.stdin!.on('drain', () => this.pump());
    this.pump();
  }

  private onChildGone(why: string | null): void {
    this.child = null;
    for (const w of this.exitWaiters.splice(0)) w();
    if (this.closing) {
      this.state = 'stopped';
      this.failQueue();
      return;
    }
    if (this.restarts < this.config.maxRestarts) {
      this.restarts++;
      this.opts.onWarn(`plugin ${this.config.name} ${why ?? 'failed'}; restart ${this.restarts} of ${this.config.maxRestarts}`);
      this.state = 'stopped';
      this.restartTimer = setTimeout(() => this.spawnChild(), this.opts.restartDelayMs ?? 50);
    } else {
      this.opts.onWarn(`plugin ${this.config.name} ${why ?? 'failed'}; max_restarts (${this.config.maxRestarts}) reached, giving up on it`);
      this.state = 'failed';
      this.failQueue();
      this.opts.onRoom();
    }
  }

  private failQueue(): void {
    this.lostOnCrash += this.queued;
    this.queue.length = 0;
    this.queued = 0;
    this.checkEmpty();
  }

  /** Offer `count` records already formatted in buf; `ends[i]` is where record i's line ends. */
  offer(buf: Buffer, ends: Uint32Array, count: number): void {
    if (count === 0) return;
    if (this.state === 'failed' || this.closing) {
      this.lostOnCrash += count;
      return;
    }
    let take = count;
    if (this.config.overflowAction === 'drop') {
      const room = this.config.qDepth - this.depth;
      take = room <= 0 ? 0 : Math.min(room, count);
      this.dropped += count - take;
    }
    if (take === 0) return;
    this.queue.push({ buf: take === count ? buf : buf.subarray(0, ends[take - 1]), count: take });
    this.queued += take;
    this.pump();
  }

  private pump(): void {
    const child = this.child;
    if (!child || !child.stdin || child.stdin.destroyed) return;
    const stdin = child.stdin;
    while (this.queue.length > 0 && !stdin.writableNeedDrain) {
      const c = this.queue.shift()!;
      this.queued -= c.count;
      this.inPipe += c.count;
      stdin.write(c.buf, (err) => {
        const wasFull = this.full();
        this.inPipe -= c.count;
        if (err) this.lostOnCrash += c.count;
        else this.delivered += c.count;
        if (wasFull && !this.full()) this.opts.onRoom();
        this.checkEmpty();
      });
    }
  }

  private checkEmpty(): void {
    if (this.depth === 0) for (const w of this.emptyWaiters.splice(0)) w();
  }

  /** Let the queue drain (up to timeoutMs), close stdin, wait for exit; then TERM, then KILL. */
  async close(timeoutMs = 3000): Promise<void> {
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = null;
    }
    const child = this.child;
    if (child && this.depth > 0) {
      await Promise.race([new Promise<void>((r) => this.emptyWaiters.push(r)), sleep(timeoutMs)]);
    }
    this.closing = true;
    if (!this.child) {
      this.state = this.state === 'failed' ? 'failed' : 'stopped';
      this.failQueue();
      return;
    }
    const exited = new Promise<void>((r) => this.exitWaiters.push(r));
    this.child.stdin?.end();
    if (await raceTimeout(exited, 1000)) return;
    this.child?.kill('SIGTERM');
    this.child?.kill('SIGCONT'); // a stopped plugin would otherwise never see the TERM
    if (await raceTimeout(exited, 1000)) return;
    this.child?.kill('SIGKILL');
    await exited;
  }

  stats(): PluginProcessStats {
    return {
      name: this.config.name,
      pid: this.child?.pid ?? null,
      queueDepth: this.depth,
      queueCapacity: this.config.qDepth,
      dropped: this.dropped,
      restarts: this.restarts,
      state: this.state,
      overflowAction: this.config.overflowAction,
      delivered: this.delivered,
      lostOnCrash: this.lostOnCrash,
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

async function raceTimeout(p: Promise<void>, ms: number): Promise<boolean> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => {
    t = setTimeout(() => r(false), ms);
  });
  const ok = await Promise.race([p.then(() => true), timeout]);
  clearTimeout(t);
  return ok;
}
