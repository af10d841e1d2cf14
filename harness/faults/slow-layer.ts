// The slow layer under a run's log: slowfs (native/slowfs.c), a passthrough FUSE filesystem
// mounted over a directory of the log volume, whose every write waits for a device clock at a
// set rate plus a set latency. FUSE without writeback caching hands each write() to slowfs
// synchronously, so buffered writes (flush none, incremental_async) are slowed like O_DSYNC ones,
// on any cgroup version. It starts with no delay (a plain passthrough) and the slow-disk fault
// sets and clears the delays over its stdin; `stats` answers what slowfs measured (writes, bytes,
// per-write service time). Undo: unmount (lazily if still busy), then end the slowfs process
// serving that mount point, so `auditstorm reset` after a SIGKILL leaves no mount behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HostSession } from '../host/host-session.ts';
import { SLOWFS_PATH, SLOWFS_SOURCE } from '../host/setup.ts';
import { isMounted } from '../host/mounts.ts';
import type { UndoStep } from '../host/undo-steps.ts';

export { SLOWFS_PATH, SLOWFS_SOURCE };

/** What slowfs counted: cumulative writes/bytes/time, and min/max per write since the last call. */
export interface SlowfsStats {
  writes: number;
  bytes: number;
  /** sum of per-write service times (entry to reply), µs */
  sumUs: number;
  /** of which slowfs slept for the rate and latency, µs */
  waitUs: number;
  /** per-write service time since the previous stats() call, µs; -1: no write */
  minUs: number;
  maxUs: number;
  rate: number;
  latencyUs: number;
}

/** Why slow-disk's FUSE method cannot run here, or null. */
export function slowfsUnavailable(): string | null {
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse on this host (load the fuse module: modprobe fuse)';
  if (!readFileSync('/proc/filesystems', 'utf8').split('\n').some((l) => l.trim().split(/\s+/).pop() === 'fuse')) return 'the kernel has no fuse filesystem (modprobe fuse)';
  if (!existsSync(SLOWFS_PATH)) return `slowfs is not built (${SLOWFS_PATH}): run \`auditstorm setup\` (needs libfuse3-dev and cc)`;
  return null;
}

/**
 * The undo of a slow layer: unmount (lazily if still busy); unmounted, slowfs returns from its
 * loop, and the one serving this mount (matched on its exact command line) that hangs or lost
 * its mount is ended; then the mount point goes.
 */
export function slowLayerUndo(backing: string, mountPoint: string): UndoStep[] {
  return [
    { op: 'umount', path: mountPoint },
    { op: 'kill-command', argv: [SLOWFS_PATH, backing, mountPoint], graceMs: 1000 },
    { op: 'rmdir', path: mountPoint },
  ];
}

export class SlowLayer {
  private readonly replies: Array<(line: string) => void> = [];
  private exited = false;
  private stderr = '';

  private constructor(
    readonly backing: string,
    readonly mountPoint: string,
    private readonly proc: ChildProcess,
    private readonly session: HostSession,
    private readonly trackId: number,
  ) {
    createInterface({ input: proc.stdout! }).on('line', (line) => this.replies.shift()?.(line));
    proc.stderr!.on('data', (b: Buffer) => { this.stderr = (this.stderr + b.toString()).slice(-2000); });
    proc.on('exit', () => {
      this.exited = true;
      for (const r of this.replies.splice(0)) r('{"error":"slowfs exited"}');
    });
  }

  /** Mount slowfs over `backing` at `mountPoint` (no delays yet). */
  static async mount(o: { backing: string; mountPoint: string; session: HostSession }): Promise<SlowLayer> {
    const why = slowfsUnavailable();
    if (why) throw new Error(`slow layer: ${why}`);
    // recorded before the mount exists: a SIGKILL at any step leaves enough to undo
    const trackId = o.session.track('slow-layer', `slowfs ${o.mountPoint}`, slowLayerUndo(o.backing, o.mountPoint));
    mkdirSync(o.mountPoint, { recursive: true });
    // its own process group: a Ctrl-C to the harness must not unmount the log under the daemon
    const proc = spawn(SLOWFS_PATH, [o.backing, o.mountPoint], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const layer = new SlowLayer(o.backing, o.mountPoint, proc, o.session, trackId);
    for (let i = 0; i < 100 && !isMounted(o.mountPoint) && !layer.exited; i++) await sleep(20);
    if (!isMounted(o.mountPoint)) {
      const err = layer.stderr.trim();
      await o.session.undo(trackId).catch(() => undefined);
      throw new Error(`slowfs did not mount ${o.mountPoint}${err ? `: ${err}` : ''}`);
    }
    return layer;
  }

  private request(line: string): Promise<string> {
    if (this.exited) return Promise.reject(new Error(`slowfs for ${this.mountPoint} has exited${this.stderr ? `: ${this.stderr.trim()}` : ''}`));
    return new Promise((resolve) => {
      this.replies.push(resolve);
      this.proc.stdin!.write(`${line}\n`);
    });
  }

  /** Every write from now on: paced to `rateBps` (null: no pacing) plus `latencyUs`. */
  async set(rateBps: number | null, latencyUs: number | null): Promise<void> {
    const r = JSON.parse(await this.request(`set ${Math.round(rateBps ?? 0)} ${Math.round(latencyUs ?? 0)}`)) as { ok?: boolean; error?: string };
    if (!r.ok) throw new Error(`slowfs refused the setting: ${r.error ?? 'unknown'}`);
  }

  async stats(): Promise<SlowfsStats> {
    const r = JSON.parse(await this.request('stats')) as SlowfsStats & { error?: string };
    if (r.error) throw new Error(r.error);
    return r;
  }

  async unmount(): Promise<void> {
    this.proc.stdin!.end();
    await this.session.undo(this.trackId);
  }
}
