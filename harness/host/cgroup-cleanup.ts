// Remove the auditstorm-* cgroups that a dead harness left behind (SIGKILL, power loss of the
// harness process). Groups whose owner is alive are another run's and are left alone.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CGROUP_PREFIX } from './cgroup.ts';
import { cgroupLayout, type CgroupLayout } from './cgroup-detect.ts';
import { emptyAndRemove, exists } from './cgroup-fs.ts';
import { readCgroupStates, removeCgroupState } from './cgroup-state.ts';
import { isAlive } from './proc-identity.ts';

export interface LeftoverReport {
  /** directories removed */
  removed: string[];
  /** processes killed (or moved out, with kill: false) */
  pids: number[];
  /** groups left because their owner is alive, or removal failed (with the reason) */
  skipped: Array<{ dir: string; reason: string }>;
}

export interface LeftoverOptions {
  /** kill processes still inside (default true); false moves them to the parent cgroup */
  kill?: boolean;
  /** also remove groups of live owners (only for `auditstorm reset --force`) */
  force?: boolean;
  layout?: CgroupLayout;
}

/** Remove the directories of one group (as recorded in its state file or found by a scan). */
export async function removeCgroupDirs(dirs: string[], kill = true): Promise<{ removed: string[]; pids: number[] }> {
  const removed: string[] = [];
  const pids: number[] = [];
  // v1: memory last so moved survivors keep their limit until the end (see RunCgroupBase.destroy).
  const ordered = [...dirs].sort((a, b) => Number(a.includes('/memory/')) - Number(b.includes('/memory/')));
  for (const dir of ordered) {
    if (!exists(dir)) continue;
    pids.push(...await emptyAndRemove(dir, { kill, moveTo: dirname(dir) }));
    removed.push(dir);
  }
  return { removed, pids };
}

function scanRoots(layout: CgroupLayout): string[] {
  const roots = new Set<string>();
  const add = (mount: string | null, self: string | null) => {
    if (!mount) return;
    roots.add(mount);
    if (self && self !== '/') roots.add(join(mount, dirname(self)));
  };
  add(layout.memory, layout.self.memory);
  add(layout.cpu, layout.self.cpu);
  add(layout.io, layout.self.io);
  return [...roots];
}

export async function removeLeftoverCgroups(options: LeftoverOptions = {}): Promise<LeftoverReport> {
  const kill = options.kill ?? true;
  const report: LeftoverReport = { removed: [], pids: [], skipped: [] };
  const liveNames = new Set<string>();
  for (const state of readCgroupStates()) {
    if (!options.force && isAlive(state.owner)) {
      liveNames.add(state.name);
      continue;
    }
    try {
      const r = await removeCgroupDirs(state.dirs, kill);
      report.removed.push(...r.removed);
      report.pids.push(...r.pids);
      removeCgroupState(state.name);
    } catch (err) {
      report.skipped.push({ dir: state.dirs.join(', '), reason: (err as Error).message });
    }
  }
  // Groups without a state file (it was deleted, or written elsewhere): a scan by name.
  let layout: CgroupLayout | undefined;
  try {
    layout = options.layout ?? cgroupLayout();
  } catch {
    return report;
  }
  for (const root of scanRoots(layout)) {
    let entries: string[];
    try {
      entries = readdirSync(root).filter((e) => e.startsWith(CGROUP_PREFIX));
    } catch {
      continue;
    }
    for (const e of entries) {
      const dir = join(root, e);
      if (liveNames.has(e)) {
        report.skipped.push({ dir, reason: 'its run is still alive' });
        continue;
      }
      try {
        const r = await removeCgroupDirs([dir], kill);
        report.removed.push(...r.removed);
        report.pids.push(...r.pids);
      } catch (err) {
        report.skipped.push({ dir, reason: (err as Error).message });
      }
    }
  }
  return report;
}
