// What a CI job must leave as it found it: the kernel's audit settings, the registered daemon,
// the rule list, and no auditstorm cgroups, mounts or loop devices. Taken at the job's start
// (ci/check-clean --save) and compared at its end (--against), so a host that boots with audit
// enabled or keeps its own rules passes, and anything a run left behind fails.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CGROUP_PREFIX } from './cgroup.ts';

export interface HostSnapshot {
  takenAt: string;
  audit: { enabled: number; failure: number; pid: number; rate_limit: number; backlog_limit: number; backlog_wait_time: number } | null;
  /** `auditctl -l`, one rule a line ("No rules" is an empty list) */
  rules: string[];
  cgroups: string[];
  mounts: string[];
  loopDevices: string[];
}

const AUDIT_KEYS = ['enabled', 'failure', 'pid', 'rate_limit', 'backlog_limit', 'backlog_wait_time'] as const;

/** What a host that never ran anything has: the reference when no snapshot was taken. */
export const CLEAN_HOST: Omit<HostSnapshot, 'takenAt' | 'audit'> & { audit: Partial<NonNullable<HostSnapshot['audit']>> } = {
  audit: { enabled: 0, pid: 0 }, rules: [], cgroups: [], mounts: [], loopDevices: [],
};

const run = (file: string, args: string[]): string | null => {
  try { return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }); } catch { return null; }
};

function auditStatus(): HostSnapshot['audit'] {
  const out = run('auditctl', ['-s']);
  if (out === null) return null;
  const v: Record<string, number> = {};
  for (const line of out.split('\n')) {
    const m = /^(\w+) (-?\d+)/.exec(line);
    if (m) v[m[1]!] = Number(m[2]);
  }
  return Object.fromEntries(AUDIT_KEYS.map((k) => [k, v[k] ?? -1])) as NonNullable<HostSnapshot['audit']>;
}

/** auditstorm-* cgroup directories anywhere under root, to `depth` levels: cgroup v1
 *  (/sys/fs/cgroup/memory/auditstorm-*), pure v2 (/sys/fs/cgroup/auditstorm-*) and v2 below a
 *  delegated parent (/sys/fs/cgroup/system.slice/runner.service/auditstorm-*). */
export function findRunCgroups(root = '/sys/fs/cgroup', depth = 4): string[] {
  const found: string[] = [];
  const walk = (dir: string, left: number) => {
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (e.name.startsWith(CGROUP_PREFIX)) found.push(p);
      else if (left > 1) walk(p, left - 1);
    }
  };
  walk(root, depth);
  return found.sort();
}

function runMounts(): string[] {
  try {
    return readFileSync('/proc/self/mounts', 'utf8').split('\n')
      .filter((l) => /\/logfs\s|auditstorm/.test(l)).map((l) => l.split(' ').slice(0, 3).join(' ')).sort();
  } catch { return []; }
}

function runLoopDevices(): string[] {
  return (run('losetup', ['-a']) ?? '').split('\n').filter((l) => /logfs|auditstorm/.test(l)).map((l) => l.trim()).sort();
}

export function takeHostSnapshot(): HostSnapshot {
  const rules = (run('auditctl', ['-l']) ?? '').trim();
  return {
    takenAt: new Date().toISOString(),
    audit: auditStatus(),
    rules: rules === 'No rules' || rules === '' ? [] : rules.split('\n'),
    cgroups: findRunCgroups(), mounts: runMounts(), loopDevices: runLoopDevices(),
  };
}

/** Differences between the state found (`before`) and now, one line each; empty: as found. */
export function diffHostSnapshot(before: Pick<HostSnapshot, 'rules' | 'cgroups' | 'mounts' | 'loopDevices'> & { audit: Partial<NonNullable<HostSnapshot['audit']>> | null }, now: HostSnapshot): string[] {
  const out: string[] = [];
  for (const k of AUDIT_KEYS) {
    const was = before.audit?.[k];
    if (was !== undefined && now.audit && now.audit[k] !== was) out.push(`audit ${k} is ${now.audit[k]}, was ${was}`);
  }
  const list = (what: string, was: string[], is: string[]) => {
    for (const x of is) if (!was.includes(x)) out.push(`${what} left behind: ${x}`);
    for (const x of was) if (!is.includes(x)) out.push(`${what} gone (was there before): ${x}`);
  };
  list('audit rule', before.rules, now.rules);
  list('cgroup', before.cgroups, now.cgroups);
  list('mount', before.mounts, now.mounts);
  list('loop device', before.loopDevices, now.loopDevices);
  return out;
}
