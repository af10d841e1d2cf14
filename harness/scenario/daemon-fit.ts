// What of a scenario will not apply to the daemon it runs against, named before the run
// (validate and run print these as warnings): a library scenario written for tsauditd runs
// unchanged against a command daemon, and the user learns which of its parts it did not test.
import { DISK_FAULTS } from './names.ts';
import type { Scenario } from './schema.ts';

const DEFAULT_LOG = '@LOGDIR@/audit.log';

export function daemonFitWarnings(s: Scenario, raw: { policySet: boolean }): string[] {
  if (s.daemon.name !== 'command') return [];
  const out: string[] = [];
  const keys = Object.keys(s.daemon.config);
  if (keys.length) {
    out.push(`daemon.config ${keys.join(', ')}: not applied to the command daemon (auditstorm writes no config for it; put its settings in its own command line or files under @CONFDIR@)`);
  }
  if (raw.policySet) out.push(`daemon.policy ${s.daemon.policy}: tsauditd's queue policy; the command daemon ignores it`);
  const log = s.daemon.log ?? DEFAULT_LOG;
  for (const f of s.faults) {
    const where = `faults[${f.index}] (${f.kind})`;
    if (f.kind === 'plugin-stall') out.push(`${where}: will not apply: auditstorm knows no plugin of a command daemon (name its processes in daemon.processes and use stall-daemon with process:)`);
    if (DISK_FAULTS.includes(f.kind) && !log.startsWith('@LOGDIR@/')) {
      out.push(`${where}: acts on the run's log filesystem (@LOGDIR@), but daemon.log is ${log}: it will not reach the daemon's log (write the log under @LOGDIR@)`);
    }
  }
  if (s.expect.peakRssMax === 'hwm') {
    out.push('expect.peak_rss_max hwm: the command daemon declares no queue bound; it is held to its idle RSS plus the default 16 MiB slack');
  }
  return out;
}
