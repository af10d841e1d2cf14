// The state file: what a run changed on this machine, written before each change, so that
// `auditstorm reset` can put the machine back after the run was SIGKILLed.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { stateDir, statePath } from './paths.ts';
import type { ProcIdentity } from './proc-identity.ts';

export interface AuditBefore {
  enabled: number;
  failure: number;
  pid: number;
  rateLimit: number;
  backlogLimit: number;
  /** jiffies, restored exactly */
  backlogWaitTime: number;
}

export interface UndoEntry {
  id: number;
  kind: string;
  label: string;
  data: unknown;
}

export interface HostState {
  version: 1;
  owner: ProcIdentity & { command: string };
  startedAt: string;
  audit: {
    before: AuditBefore;
    /** rules the run added, as the kernel lists them (base64 audit_rule_data) */
    addedRules: string[];
  };
  undo: UndoEntry[];
}

export function readState(): HostState | null {
  let text: string;
  try {
    text = readFileSync(statePath(), 'utf8');
  } catch {
    return null;
  }
  const parsed = JSON.parse(text) as HostState;
  if (parsed.version !== 1 || !parsed.audit?.before) {
    throw new Error(`${statePath()} is not an auditstorm state file (version ${String(parsed.version)}); ` +
      'inspect it, restore by hand with auditctl, then delete it');
  }
  return parsed;
}

export function writeState(state: HostState): void {
  mkdirSync(stateDir(), { recursive: true });
  const tmp = `${statePath()}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 1));
  renameSync(tmp, statePath());
}

export function removeState(): void {
  rmSync(statePath(), { force: true });
}
