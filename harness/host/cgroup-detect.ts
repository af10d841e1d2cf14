// Which cgroup layout the host has. The memory controller decides: if a v1 hierarchy carries it
// we use v1 for memory, cpu and blkio (each may be its own mount); otherwise the cgroup2 mount
// whose cgroup.controllers lists memory. A cgroup2 mount without controllers (this VM's
// /sys/fs/cgroup/unified) is useless for limits and is ignored.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type CgroupVersion = 1 | 2;

export interface CgroupLayout {
  version: CgroupVersion;
  /** mount point of the hierarchy that carries each controller (null: not available) */
  memory: string;
  cpu: string | null;
  io: string | null;
  /** this process's own cgroup path inside each of those hierarchies ('/' = root) */
  self: { memory: string; cpu: string | null; io: string | null };
}

export interface DetectInput {
  mountinfo?: string;
  procSelfCgroup?: string;
  /** reads a v2 mount's cgroup.controllers (injectable for tests) */
  readControllers?: (mount: string) => string;
}

interface Mount {
  point: string;
  fstype: string;
  superOptions: string[];
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    out.push({ point: unescapeMount(pre[4] ?? ''), fstype: post[0] ?? '', superOptions: (post[2] ?? '').split(',') });
  }
  return out;
}

/** /proc/self/cgroup: `id:controllers:path`; v2 is `0::path`. */
export function parseProcCgroup(text: string): { v1: Map<string, string>; v2: string | null } {
  const v1 = new Map<string, string>();
  let v2: string | null = null;
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') v2 = m[3];
    else for (const c of m[2].split(',')) v1.set(c, m[3]);
  }
  return { v1, v2 };
}

export class CgroupUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CgroupUnavailableError';
  }
}

export function detectCgroupLayout(input: DetectInput = {}): CgroupLayout {
  const mounts = parseMountinfo(input.mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8'));
  const own = parseProcCgroup(input.procSelfCgroup ?? readFileSync('/proc/self/cgroup', 'utf8'));
  const v1Mount = (controller: string) =>
    mounts.find((m) => m.fstype === 'cgroup' && m.superOptions.includes(controller))?.point ?? null;

  const memV1 = v1Mount('memory');
  if (memV1) {
    const cpu = v1Mount('cpu');
    const io = v1Mount('blkio');
    return {
      version: 1,
      memory: memV1,
      cpu,
      io,
      self: {
        memory: own.v1.get('memory') ?? '/',
        cpu: cpu ? own.v1.get('cpu') ?? '/' : null,
        io: io ? own.v1.get('blkio') ?? '/' : null,
      },
    };
  }
  const readControllers = input.readControllers ??
    ((mount: string) => readFileSync(join(mount, 'cgroup.controllers'), 'utf8'));
  for (const m of mounts.filter((x) => x.fstype === 'cgroup2')) {
    let controllers: string[];
    try {
      controllers = readControllers(m.point).trim().split(/\s+/);
    } catch {
      continue;
    }
    if (!controllers.includes('memory')) continue;
    const self = own.v2 ?? '/';
    return {
      version: 2,
      memory: m.point,
      cpu: controllers.includes('cpu') ? m.point : null,
      io: controllers.includes('io') ? m.point : null,
      self: { memory: self, cpu: controllers.includes('cpu') ? self : null, io: controllers.includes('io') ? self : null },
    };
  }
  throw new CgroupUnavailableError('no cgroup hierarchy with the memory controller is mounted ' +
    '(looked for a v1 `memory` mount and a cgroup2 mount listing memory in cgroup.controllers); ' +
    'boot with cgroup memory enabled (e.g. cgroup_enable=memory) or run on a host that has it');
}

let cached: CgroupLayout | undefined;
export function cgroupLayout(): CgroupLayout {
  cached ??= detectCgroupLayout();
  return cached;
}
