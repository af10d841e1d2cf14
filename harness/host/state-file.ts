// The state file: what a run changed on this machine, written before each change, so that
// `auditstorm reset` can put the machine back after the run was SIGKILLed.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { stateDir, statePath } from './paths.ts';
import type { ProcIdentity } from './proc-identity.ts';
import type { UndoStep } from './undo-steps.ts';

export interface AuditBefore {
  enabled: number;
  failure: number;
  pid: number;
  rateLimit: number;
  backlogLimit: number;
  /** jiffies, restored exactly */
  backlogWaitTime: number;
}

/** One change to put back: the steps say how (undo-steps.ts), so no code of `by` is needed. */
export interface UndoEntry {
  id: number;
  /** what made the change (the runner, a daemon, a fault kind): for reports, never dispatched on */
  by: string;
  label: string;
  steps: UndoStep[];
  /** set on an entry of an older state file whose kind this version cannot undo: why, and what to do */
  refused?: string;
}

export const STATE_VERSION = 2;

export interface HostState {
  version: typeof STATE_VERSION;
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
  const parsed = JSON.parse(text) as Omit<HostState, 'version'> & { version: number };
  if (!parsed.audit?.before || (parsed.version !== STATE_VERSION && parsed.version !== 1)) {
    throw new Error(`${statePath()} is not an auditstorm state file of a version this one reads (version ${String(parsed.version)}); ` +
      'inspect it, restore by hand with auditctl, then delete it');
  }
  if (parsed.version === 1) return fromVersion1(parsed as never);
  return parsed as HostState;
}

interface Version1Entry { id: number; kind: string; label: string; data: any }

/**
 * A state file of version 1 named an undo kind per entry, undone by code of the layer that made
 * it. The host's own kinds (steps, process, cgroup) map to steps; any other (a fault's) is
 * refused with its data, so the user can undo it by hand.
 */
function fromVersion1(old: Omit<HostState, 'version' | 'undo'> & { undo: Version1Entry[] }): HostState {
  const undo = old.undo.map((e): UndoEntry => {
    const base = { id: e.id, by: e.kind, label: e.label };
    if (e.kind === 'steps' && Array.isArray(e.data?.steps)) return { ...base, steps: e.data.steps };
    if (e.kind === 'process') return { ...base, steps: [{ op: 'kill', proc: { pid: e.data.pid, startTime: e.data.startTime }, group: Boolean(e.data.group) }] };
    if (e.kind === 'cgroup') return { ...base, steps: [{ op: 'cgroup', name: e.data.name, dirs: e.data.dirs }] };
    return { ...base, steps: [], refused: `recorded by an older auditstorm as '${e.kind}' ${JSON.stringify(e.data)}, which this version does not undo: ` +
      `undo it by hand, then delete ${statePath()}` };
  });
  return { ...old, version: STATE_VERSION, undo };
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
