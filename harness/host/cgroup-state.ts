// One small state file per run cgroup, written BEFORE the directories are made, so a harness
// that was SIGKILLed leaves enough behind for removeLeftoverCgroups() to find and remove them,
// and so a live run's groups are never taken for leftovers (owner identity survives pid reuse).
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from './paths.ts';
import type { ProcIdentity } from './proc-identity.ts';

export interface CgroupState {
  name: string;
  version: 1 | 2;
  dirs: string[];
  owner: ProcIdentity;
  createdAt: string;
}

export const cgroupStateDir = (): string => join(stateDir(), 'cgroups');
const pathOf = (name: string): string => join(cgroupStateDir(), `${name}.json`);

export function writeCgroupState(state: CgroupState): void {
  mkdirSync(cgroupStateDir(), { recursive: true });
  const tmp = `${pathOf(state.name)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, pathOf(state.name));
}

export function removeCgroupState(name: string): void {
  rmSync(pathOf(name), { force: true });
}

export function readCgroupStates(): CgroupState[] {
  let files: string[];
  try {
    files = readdirSync(cgroupStateDir()).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: CgroupState[] = [];
  for (const f of files) {
    try {
      const s = JSON.parse(readFileSync(join(cgroupStateDir(), f), 'utf8')) as CgroupState;
      if (typeof s.name === 'string' && Array.isArray(s.dirs) && s.owner) out.push(s);
    } catch {
      // half-written or foreign file: the directory scan still finds its groups
    }
  }
  return out;
}
