// The adapter for a daemon spec.
import { AuditdDaemon } from './auditd-daemon.ts';
import { CommandDaemon } from './command-daemon.ts';
import type { DaemonSpec, DaemonUnderTest } from './daemon.ts';
import { TsauditdDaemon } from './tsauditd-daemon.ts';

export function createDaemon(spec: DaemonSpec): DaemonUnderTest {
  switch (spec.kind) {
    case 'tsauditd': return new TsauditdDaemon(spec);
    case 'auditd': return new AuditdDaemon(spec);
    case 'command': return new CommandDaemon(spec);
  }
}
