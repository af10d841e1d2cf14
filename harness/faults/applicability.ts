// Whether a fault can apply to the chosen daemon on this host, decided before anything runs
// (validate and run call it): a disk fault needs the daemon's log on the run's log volume, a
// plugin-stall a plugins.d the runner can add its sink to, slow-disk a method this host has.
// A fault that cannot apply is an error naming the fault, why, and what to change.
import type { DaemonKind } from '../daemons/daemon.ts';
import type { FaultSpec } from '../scenario/schema.ts';
import { cgroupLayout } from '../host/cgroup-detect.ts';
import { slowfsUnavailable } from './slow-layer.ts';
import { commandFaultProblem } from '../scenario/daemon-fit.ts';

/** What the host offers the faults (detected by hostFaultSupport(); injectable for tests). */
export interface HostFaultSupport {
  cgroupVersion: 1 | 2;
  /** the io controller (blkio on v1) is there for the run cgroup */
  io: boolean;
  cpu: boolean;
  /** why slowfs (slow-disk's fuse method) cannot run here; null: it can */
  fuseUnavailable: string | null;
}

export interface ApplicabilityContext {
  /** the scenario's daemon.memory_limit (memory-squeeze must go under it) */
  daemonMemoryLimitBytes?: number;
  /** a command daemon's log as the scenario gives it (@LOGDIR@/audit.log when unset) */
  daemonLog?: string | null;
  host?: HostFaultSupport;
}

export type Applicability = { applies: true } | { applies: false; reason: string; fix: string };

export function hostFaultSupport(): HostFaultSupport {
  const l = cgroupLayout();
  return { cgroupVersion: l.version, io: l.io !== null, cpu: l.cpu !== null, fuseUnavailable: slowfsUnavailable() };
}

const no = (reason: string, fix: string): Applicability => ({ applies: false, reason, fix });

export function faultApplicability(fault: FaultSpec, daemonKind: DaemonKind, ctx: ApplicabilityContext = {}): Applicability {
  if (daemonKind === 'command') {
    const p = commandFaultProblem(fault.kind, ctx.daemonLog);
    if (p) return no(p.reason, p.fix);
  }
  if (fault.kind === 'memory-squeeze' && ctx.daemonMemoryLimitBytes !== undefined && fault.memory_limit >= ctx.daemonMemoryLimitBytes) {
    return no(`memory_limit ${fault.memory_limit} B is not under the daemon's memory_limit ${ctx.daemonMemoryLimitBytes} B: nothing would be squeezed`,
      'give a memory_limit below daemon.memory_limit');
  }
  const host = ctx.host;
  if (!host) return { applies: true };
  if (fault.kind === 'cpu-starve' && !host.cpu) return no('this host has no cpu controller for the run cgroup', 'mount the cpu controller (v1) or enable +cpu (v2)');
  if (fault.kind === 'slow-disk') {
    const cg = host.cgroupVersion === 1 ? 'blkio-throttle' : 'io-max';
    if (fault.method === 'dm-delay') return no('dm-delay needs device-mapper, which these hosts do not have', 'use method: auto (fuse where it can run)');
    if (fault.method === 'fuse' && host.fuseUnavailable) return no(`the fuse method cannot run here: ${host.fuseUnavailable}`, `fix that, or use method: ${cg} (O_DSYNC writes and fsync only, no latency)`);
    if ((fault.method === 'blkio-throttle' || fault.method === 'io-max') && fault.method !== cg) {
      return no(`method ${fault.method} does not exist on cgroup v${host.cgroupVersion}`, `use method: auto or ${cg}`);
    }
    const resolved = fault.method === 'auto' ? (host.fuseUnavailable ? cg : 'fuse') : fault.method;
    if (resolved !== 'fuse' && fault.latency !== undefined) {
      return no(`latency needs the fuse method, and ${fault.method === 'auto' ? `fuse cannot run here (${host.fuseUnavailable})` : `${resolved} only limits the rate`}`, 'make fuse available (auditstorm setup), or drop latency');
    }
    if (resolved !== 'fuse' && !host.io) return no('this host has no io controller for the run cgroup', 'mount blkio (v1) or enable +io (v2), or make fuse available');
  }
  return { applies: true };
}

/** Every fault of a scenario that cannot apply, as "faults[i] (kind): reason (fix)". */
export function faultApplicabilityErrors(faults: readonly FaultSpec[], daemonKind: DaemonKind, ctx: ApplicabilityContext = {}): string[] {
  const out: string[] = [];
  for (const f of faults) {
    const a = faultApplicability(f, daemonKind, ctx);
    if (!a.applies) out.push(`faults[${f.index}] (${f.kind}): ${a.reason} (${a.fix})`);
  }
  return out;
}

/** Faults that cannot apply to the run's daemon here: bad input (exit code 2, as the CLI maps it). */
export class FaultApplicabilityError extends Error {
  readonly exitCode = 2;
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? `a fault cannot apply: ${problems[0]}` : `${problems.length} faults cannot apply:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'FaultApplicabilityError';
  }
}
