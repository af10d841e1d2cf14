// Create a run's cgroup: auditstorm-<runId> in every hierarchy that carries memory, cpu and io.
//
// Placement: at the root of each hierarchy when we may create groups there (a root VM: yes),
// otherwise beside our own cgroup (e.g. /sys/fs/cgroup/memory/process_api/auditstorm-<id> on
// VMs whose agent puts every session in its own memory group). At the root, the daemon's limit
// is its own and not nested under the harness's group.
import { mkdirSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CgroupV1 } from './cgroup-v1.ts';
import { CgroupV2 } from './cgroup-v2.ts';
import { cgroupLayout, type CgroupLayout } from './cgroup-detect.ts';
import { CgroupError, cgroupErrorFrom, exists, readText, writeText } from './cgroup-fs.ts';
import { removeCgroupState, writeCgroupState } from './cgroup-state.ts';
import type { RunCgroup } from './cgroup-types.ts';
import { selfIdentity } from './proc-identity.ts';

export type { RunCgroup, MemoryUsage, IoLimit, CpuThrottleStat, CgroupDirs } from './cgroup-types.ts';
export { CgroupError } from './cgroup-fs.ts';

export const CGROUP_PREFIX = 'auditstorm-';

export type Placement = 'auto' | 'root' | 'beside-self';

export interface CreateCgroupOptions {
  /** run id: letters, digits, '.', '_', '-' (the group is named auditstorm-<runId>) */
  runId: string;
  /** bytes; null or absent: no limit */
  memoryLimitBytes?: number | null;
  /** swap the group may use on top of the limit (default 0: the limit is a real limit) */
  swapBytes?: number;
  placement?: Placement;
  layout?: CgroupLayout;
}

const PERMISSION = new Set(['EACCES', 'EPERM', 'EROFS']);

function makeDir(mount: string, selfPath: string, name: string, placement: Placement): string {
  const candidates: string[] = [];
  if (placement !== 'beside-self') candidates.push(join(mount, name));
  if (placement !== 'root' && selfPath !== '/') candidates.push(join(mount, dirname(selfPath), name));
  let last: unknown;
  for (const dir of candidates) {
    try {
      mkdirSync(dir);
      return dir;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST') {
        throw new CgroupError('create cgroup', dir, 'EEXIST', 'a group of this name exists already',
          'a previous run with this id left it: run `auditstorm reset` (removeLeftoverCgroups) or pick another run id');
      }
      last = err;
      if (!PERMISSION.has(code)) break;
    }
  }
  throw cgroupErrorFrom('create cgroup', candidates.join(' or '), last);
}

/** v2: a child gets a controller only if its parent lists it in cgroup.subtree_control. */
function enableV2Controllers(parent: string): void {
  const have = readText(join(parent, 'cgroup.subtree_control')).split(/\s+/);
  for (const c of ['memory', 'cpu', 'io']) {
    if (have.includes(c)) continue;
    try {
      writeText(join(parent, 'cgroup.subtree_control'), `+${c}`, 'enable controller');
    } catch (err) {
      // memory is required; cpu and io only for the faults that use them (they then say so).
      if (c === 'memory') throw err;
    }
  }
}

export async function createRunCgroup(options: CreateCgroupOptions): Promise<RunCgroup> {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(options.runId)) {
    throw new CgroupError('create cgroup', `runId '${options.runId}'`, 'EINVAL',
      'run id must be 1-64 letters, digits, ".", "_" or "-"');
  }
  const layout = options.layout ?? cgroupLayout();
  const placement = options.placement ?? 'auto';
  const name = CGROUP_PREFIX + options.runId;
  const made: string[] = [];
  // The state file lists every candidate directory before any exists, so a SIGKILL between
  // mkdir calls still leaves enough to clean up.
  const candidates = (mount: string | null, self: string | null) => mount
    ? [join(mount, name), ...(self && self !== '/' ? [join(mount, dirname(self), name)] : [])] : [];
  const allCandidates = [...new Set([
    ...candidates(layout.memory, layout.self.memory),
    ...candidates(layout.cpu, layout.self.cpu),
    ...candidates(layout.io, layout.self.io),
  ])];
  // Checked before the state file is written: that file belongs to whoever made the group.
  const taken = allCandidates.find((d) => exists(d));
  if (taken) {
    throw new CgroupError('create cgroup', taken, 'EEXIST', 'a group of this name exists already',
      'a previous run with this id left it: run `auditstorm reset` (removeLeftoverCgroups) or pick another run id');
  }
  writeCgroupState({
    name,
    version: layout.version,
    dirs: allCandidates,
    owner: selfIdentity(),
    createdAt: new Date().toISOString(),
  });
  let cg: RunCgroup;
  try {
    if (layout.version === 2) {
      const memory = makeDir(layout.memory, layout.self.memory, name, placement);
      made.push(memory);
      if (!exists(join(memory, 'memory.max'))) enableV2Controllers(dirname(memory));
      const has = (f: string) => exists(join(memory, f));
      if (!has('memory.max')) {
        throw new CgroupError('create cgroup', memory, 'ENOENT', 'the memory controller is not enabled for the new group',
          `enable it in ${join(dirname(memory), 'cgroup.subtree_control')} (+memory); a parent that holds processes itself cannot`);
      }
      cg = new CgroupV2(name, { memory, cpu: has('cpu.max') ? memory : null, io: has('io.max') ? memory : null });
    } else {
      const memory = makeDir(layout.memory, layout.self.memory, name, placement);
      made.push(memory);
      let cpu: string | null = null;
      let io: string | null = null;
      if (layout.cpu) {
        try { cpu = makeDir(layout.cpu, layout.self.cpu ?? '/', name, placement); made.push(cpu); } catch { cpu = null; }
      }
      if (layout.io) {
        try { io = makeDir(layout.io, layout.self.io ?? '/', name, placement); made.push(io); } catch { io = null; }
      }
      cg = new CgroupV1(name, { memory, cpu, io });
    }
    if (options.memoryLimitBytes !== undefined && options.memoryLimitBytes !== null) {
      cg.setMemoryLimit(options.memoryLimitBytes, options.swapBytes ?? 0);
    }
    return cg;
  } catch (err) {
    for (const dir of made.reverse()) {
      try { rmdirSync(dir); } catch { /* best effort */ }
    }
    removeCgroupState(name);
    throw err;
  }
}
