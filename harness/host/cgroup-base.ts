// What v1 and v2 run cgroups share: membership, spawning into the group, and removal.
import { dirname, join } from 'node:path';
import type { CgroupVersion } from './cgroup-detect.ts';
import { CgroupError, emptyAndRemove, listPids, readKeyed, writeText } from './cgroup-fs.ts';
import { removeCgroupState } from './cgroup-state.ts';
import type { CgroupDirs, CpuThrottleStat, IoLimit, MemoryUsage, RunCgroup } from './cgroup-types.ts';

const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Anonymous and page-cache bytes from a memory.stat file (keys differ by version); nulls when
 *  the file or a key is missing, so a sample without the split still has its usage. */
export function memoryStat(path: string, anonKey: string, fileKey: string): { anonBytes: number | null; fileBytes: number | null } {
  let stat: Record<string, number>;
  try {
    stat = readKeyed(path);
  } catch {
    return { anonBytes: null, fileBytes: null };
  }
  const num = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : null);
  return { anonBytes: num(stat[anonKey]), fileBytes: num(stat[fileKey]) };
}

export function parseDevice(device: string): string {
  if (!/^\d+:\d+$/.test(device)) {
    throw new CgroupError('set io limit', device, 'EINVAL', `device '${device}' is not major:minor`,
      'give the block device number, e.g. "7:0" for /dev/loop0 (see `lsblk -o NAME,MAJ:MIN`)');
  }
  return device;
}

export abstract class RunCgroupBase implements RunCgroup {
  abstract readonly version: CgroupVersion;
  readonly allDirs: string[];
  private destroyed = false;

  constructor(readonly name: string, readonly dirs: CgroupDirs) {
    this.allDirs = [...new Set([dirs.memory, dirs.cpu, dirs.io].filter((d): d is string => d !== null))];
  }

  /** a file of the memory controller's directory */
  protected mem(file: string): string {
    return join(this.dirs.memory, file);
  }

  /** a memory limit is a positive whole number of bytes, or null (none) */
  protected checkMemoryLimit(bytes: number | null, file: string): void {
    if (bytes !== null && (!Number.isSafeInteger(bytes) || bytes <= 0)) {
      throw new CgroupError('set memory limit', this.mem(file), 'EINVAL', `limit ${bytes} is not a positive whole number of bytes`);
    }
  }

  abstract setMemoryLimit(bytes: number | null, swapBytes?: number): void;
  abstract memoryUsage(): MemoryUsage;
  abstract resetPeak(): boolean;
  abstract setCpuQuota(cores: number | null, periodUs?: number): void;
  abstract cpuThrottle(): CpuThrottleStat | null;
  abstract setIoLimit(device: string, limit: IoLimit): void;

  protected requireDir(kind: 'cpu' | 'io', operation: string): string {
    const dir = this.dirs[kind];
    if (!dir) {
      throw new CgroupError(operation, this.dirs.memory, 'ENOENT', `this host has no ${kind} controller`,
        kind === 'cpu' ? 'mount the cpu controller (v1) or enable +cpu in cgroup.subtree_control (v2)'
          : 'mount the blkio controller (v1) or enable +io in cgroup.subtree_control (v2)');
    }
    return dir;
  }

  addPid(pid: number): void {
    for (const dir of this.allDirs) writeText(join(dir, 'cgroup.procs'), String(pid), 'move pid');
  }

  pids(): number[] {
    return listPids(this.dirs.memory);
  }

  spawnArgs(file: string, args: readonly string[] = []): { file: string; args: string[] } {
    const enter = this.allDirs.map((d) => `echo $$ > ${shQuote(join(d, 'cgroup.procs'))}`).join(' && ');
    return { file: '/bin/sh', args: ['-c', `${enter} && exec "$@"`, 'auditstorm-cgroup-enter', file, ...args] };
  }

  async destroy(options: { kill?: boolean; timeoutMs?: number } = {}): Promise<number[]> {
    const touched = new Set<number>();
    // Memory last: survivors being moved out keep their memory limit until the very end.
    for (const dir of [...this.allDirs].reverse()) {
      for (const pid of await emptyAndRemove(dir, { kill: options.kill ?? false, moveTo: dirname(dir), timeoutMs: options.timeoutMs })) {
        touched.add(pid);
      }
    }
    if (!this.destroyed) removeCgroupState(this.name);
    this.destroyed = true;
    return [...touched];
  }
}
