// What of a scenario will not apply to the daemon it runs against, named before the run
// (validate and run print these as warnings): a library scenario written for tsauditd runs
// unchanged against a command daemon, and the user learns which of its parts it did not test.
import { DISK_FAULTS } from './names.ts';
import type { FaultKind, Scenario } from './schema.ts';

const DEFAULT_LOG = '@LOGDIR@/audit.log';

export function daemonFitWarnings(s: Scenario, raw: { policySet: boolean }): string[] {
  if (s.daemon.name !== 'command') return [];
  const out: string[] = [];
  const keys = Object.keys(s.daemon.config);
  if (keys.length) {
    out.push(`daemon.config ${keys.join(', ')}: not applied to the command daemon (auditstorm writes no config for it; put its settings in its own command line or files under @CONFDIR@)`);
  }
  if (raw.policySet) out.push(`daemon.policy ${s.daemon.policy}: tsauditd's queue policy; the command daemon ignores it`);
  if (s.expect.peakRssMax === 'hwm') {
    out.push('expect.peak_rss_max hwm: the command daemon declares no queue bound; it is held to its idle RSS plus the default 16 MiB slack');
  }
  return out;
}

/**
 * Why a fault cannot reach a command daemon, or null when it can: disk faults act on the run's
 * log filesystem (@LOGDIR@), so they reach a daemon whose log is there; plugin-stall needs a
 * plugins.d the runner knows. The one rule validate and the run both apply (as an error).
 */
export function commandFaultProblem(kind: FaultKind, log: string | null | undefined): { reason: string; fix: string } | null {
  if (kind === 'plugin-stall') {
    return { reason: 'auditstorm knows no plugins.d of a command daemon to add its sink plugin to',
      fix: 'name its processes in daemon.processes and use stall-daemon with process:, or run it with tsauditd or auditd' };
  }
  const l = log ?? DEFAULT_LOG;
  if (DISK_FAULTS.includes(kind) && !l.startsWith('@LOGDIR@/')) {
    return { reason: `it acts on the run's log filesystem (@LOGDIR@), but daemon.log is ${l}, which it cannot reach`,
      fix: 'write the log under @LOGDIR@ (e.g. --log @LOGDIR@/audit.log), or drop the fault' };
  }
  return null;
}
