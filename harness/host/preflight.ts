// Can this machine run auditstorm? Each check says what it found and, when it fails, what to do.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { AuditControl } from '../kernel/audit-control.ts';
import { kernelHz } from '../kernel/kernel-hz.ts';
import { lockPath } from './paths.ts';
import { isAlive, procCommand, type ProcIdentity } from './proc-identity.ts';
import { readState } from './state-file.ts';
import { packageFile } from '../../lib/paths.ts';

export type CheckLevel = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  level: CheckLevel;
  detail: string;
  /** what to do about a warn or fail */
  fix?: string;
}

const CAP_AUDIT_WRITE = 29;
const CAP_AUDIT_CONTROL = 30;
const MIN_FREE_BYTES = 512 * 1024 * 1024;

function capEff(): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function memoryCgroupLocation(): { version: 1 | 2; root: string } | null {
  if (existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes')) return { version: 1, root: '/sys/fs/cgroup/memory' };
  for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    try {
      if (readFileSync(`${root}/cgroup.controllers`, 'utf8').split(/\s+/).includes('memory')) return { version: 2, root };
    } catch {
      // not a v2 root
    }
  }
  return null;
}

function memAvailable(): number {
  const m = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export interface PreflightOptions {
  /** a registered daemon is acceptable (the caller will not register one) */
  allowRegisteredDaemon?: boolean;
}

export async function preflight(options: PreflightOptions = {}): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);
  const isRoot = process.getuid?.() === 0;
  const caps = capEff();
  const capControl = (caps & (1n << BigInt(CAP_AUDIT_CONTROL))) !== 0n;
  const capWrite = (caps & (1n << BigInt(CAP_AUDIT_WRITE))) !== 0n;
  add(capControl && capWrite
    ? { name: 'privileges', level: 'ok', detail: `${isRoot ? 'root' : 'not root'}, CAP_AUDIT_CONTROL and CAP_AUDIT_WRITE` }
    : { name: 'privileges', level: 'fail', detail: `${isRoot ? 'root' : 'not root'}; missing ${[capControl ? '' : 'CAP_AUDIT_CONTROL', capWrite ? '' : 'CAP_AUDIT_WRITE'].filter(Boolean).join(' and ')}`,
      fix: 'run as root (sudo) on a VM or host with kernel audit; containers usually lack these capabilities' });

  let control: AuditControl | undefined;
  try {
    control = await AuditControl.open();
    const status = await control.getStatus();
    add({ name: 'kernel audit', level: 'ok', detail: `answers AUDIT_GET (enabled=${status.enabled}, backlog_limit=${status.backlogLimit}, backlog_wait_time=${status.backlogWaitTimeMs} ms)` });
    add(status.enabled === 2
      ? { name: 'not immutable', level: 'fail', detail: 'enabled=2: audit rules and settings are locked until reboot', fix: 'reboot without `-e 2` in the loaded rules' }
      : { name: 'not immutable', level: 'ok', detail: `enabled=${status.enabled}` });
    if (status.pid === 0) {
      add({ name: 'audit daemon', level: 'ok', detail: 'none registered' });
    } else {
      const comm = (() => { try { return readFileSync(`/proc/${status.pid}/comm`, 'utf8').trim(); } catch { return 'gone'; } })();
      add({ name: 'audit daemon', level: options.allowRegisteredDaemon ? 'warn' : 'fail',
        detail: `pid ${status.pid} (${comm}) is registered`,
        fix: `stop it for the run (systemctl stop auditd, or kill ${status.pid}); auditstorm will not take over another daemon` });
    }
    const rules = await control.listRules();
    add({ name: 'audit rules', level: 'ok', detail: `${rules.length} loaded (left untouched; a run removes only what it adds)` });
  } catch (err) {
    add({ name: 'kernel audit', level: 'fail', detail: (err as Error).message, fix: 'needs Linux with CONFIG_AUDIT=y, root, not booted with audit=0' });
  } finally {
    control?.close();
  }

  const hz = kernelHz();
  add({ name: 'kernel HZ', level: hz.source.startsWith('assumed') ? 'warn' : 'ok', detail: `${hz.hz} (from ${hz.source})`,
    fix: 'set AUDITSTORM_KERNEL_HZ to the kernel\'s CONFIG_HZ so backlog wait times convert correctly' });

  const cg = memoryCgroupLocation();
  add(cg
    ? { name: 'memory cgroup', level: 'ok', detail: `cgroup v${cg.version} at ${cg.root}` }
    : { name: 'memory cgroup', level: 'fail', detail: 'no memory controller found (v1 /sys/fs/cgroup/memory or v2 cgroup.controllers)',
      fix: 'enable the memory controller (cgroup_enable=memory, or delegate it in cgroup v2)' });

  try {
    accessSync('/dev/kmsg', constants.R_OK);
    add({ name: '/dev/kmsg', level: 'ok', detail: 'readable (OOM kills and audit kernel messages are watched)' });
  } catch {
    add({ name: '/dev/kmsg', level: 'fail', detail: 'not readable', fix: 'run as root; check kernel.dmesg_restrict' });
  }

  const free = memAvailable();
  add(free >= MIN_FREE_BYTES
    ? { name: 'free memory', level: 'ok', detail: `${Math.round(free / 1048576)} MiB available` }
    : { name: 'free memory', level: 'fail', detail: `${Math.round(free / 1048576)} MiB available`, fix: 'free at least 512 MiB' });

  const tools = ['auditd', 'auditctl', 'ausearch', 'aureport'].filter((t) => !hasCommand(t));
  add(tools.length === 0
    ? { name: 'Debian auditd tools', level: 'ok', detail: 'auditd, auditctl, ausearch, aureport present' }
    : { name: 'Debian auditd tools', level: 'warn', detail: `missing: ${tools.join(', ')} (the reference peer and the parser of logs)`,
      fix: 'apt-get install auditd (auditstorm setup does it); do not start its service' });

  const native = packageFile('auditd/native/build/Release/audit_socket.node');
  add(existsSync(native)
    ? { name: 'tsauditd native socket', level: 'ok', detail: 'built' }
    : { name: 'tsauditd native socket', level: 'fail', detail: 'auditd/native/build/Release/audit_socket.node is missing',
      fix: 'run npm install (it builds the addon with node-gyp; needs python3, make, g++)' });

  try {
    const state = readState();
    add(state
      ? { name: 'leftover state', level: 'fail', detail: `a run (pid ${state.owner.pid}, ${state.startedAt}) left changes behind`, fix: 'run `auditstorm reset`' }
      : { name: 'leftover state', level: 'ok', detail: 'none' });
  } catch (err) {
    add({ name: 'leftover state', level: 'fail', detail: (err as Error).message });
  }

  try {
    const holder = JSON.parse(readFileSync(lockPath(), 'utf8')) as ProcIdentity;
    add(isAlive(holder)
      ? { name: 'lock', level: 'warn', detail: `held by pid ${holder.pid} (${procCommand(holder.pid)})`, fix: 'wait for that run to end' }
      : { name: 'lock', level: 'ok', detail: 'stale lock of a dead run (taken over automatically)' });
  } catch {
    add({ name: 'lock', level: 'ok', detail: 'free' });
  }
  return checks;
}

export function formatChecks(checks: Check[]): string {
  const mark: Record<CheckLevel, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };
  return checks.map((c) => `${mark[c.level]} ${c.name}: ${c.detail}${c.level !== 'ok' && c.fix ? `\n       fix: ${c.fix}` : ''}`).join('\n');
}
