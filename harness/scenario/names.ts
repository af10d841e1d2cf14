// The daemon and policy names a scenario, the CLI's options and their help use: a module of its
// own so that building the command line does not load the schema (zod) to list them.
import type { FaultKind } from './schema.ts';

export const DAEMONS = ['tsauditd', 'auditd', 'command'] as const;
export const POLICIES = ['block', 'drop', 'unbounded'] as const;
export type DaemonName = (typeof DAEMONS)[number];
export type Policy = (typeof POLICIES)[number];
/** a command daemon's log line formats (docs/daemons.md) */
export const LOG_FORMATS = ['raw', 'enriched', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
/** Fault kinds that need the run's own log filesystem (the daemon's log goes there). */
export const DISK_FAULTS: readonly FaultKind[] = ['slow-disk', 'freeze-fs', 'disk-full'];
/** what `auditstorm compare SCENARIO` runs without --daemons */
export const DEFAULT_COMPARE_DAEMONS = 'tsauditd:block,tsauditd:drop,tsauditd:unbounded,auditd';
