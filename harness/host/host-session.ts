// A run's hold on the machine: the lock, the audit state as found, and a record (on disk, before
// each change) of everything the run changed, so restore() — or `auditstorm reset` after a
// SIGKILL — puts the machine back exactly: settings, rules, daemons, processes, cgroups, mounts.
import { AuditControl, type AuditStatus, type StatusChange } from '../kernel/audit-control.ts';
import { AuditError } from '../kernel/errors.ts';
import { acquireLock, type Lock } from './lock.ts';
import { procCommand, selfIdentity } from './proc-identity.ts';
import { readState, removeState, STATE_VERSION, writeState, type AuditBefore, type HostState } from './state-file.ts';
import { runUndoSteps, UNDO_OPS, type UndoStep } from './undo-steps.ts';

export class LeftoverStateError extends Error {
  constructor(readonly state: HostState) {
    super(`a previous run (pid ${state.owner.pid}, started ${state.startedAt}) did not restore the machine; ` +
      'run `auditstorm reset` to restore it, then run again');
    this.name = 'LeftoverStateError';
  }
}

export interface RestoreReport {
  /** what was put back, one line each */
  restored: string[];
  /** what could not be put back, with the reason */
  failed: string[];
}

export interface BeginOptions {
  /** wait for another run's lock instead of failing at once */
  lockWaitMs?: number;
}

function beforeOf(s: AuditStatus): AuditBefore {
  return {
    enabled: s.enabled,
    failure: s.failure,
    pid: s.pid,
    rateLimit: s.rateLimit,
    backlogLimit: s.backlogLimit,
    backlogWaitTime: s.backlogWaitTime,
  };
}

export class HostSession {
  private nextId = 1;
  private restored = false;

  private constructor(
    readonly control: AuditControl,
    private readonly lock: Lock,
    private readonly state: HostState,
  ) {}

  static async begin(options: BeginOptions = {}): Promise<HostSession> {
    const lock = await acquireLock({ waitMs: options.lockWaitMs });
    let control: AuditControl | undefined;
    try {
      const leftover = readState();
      if (leftover) throw new LeftoverStateError(leftover);
      control = await AuditControl.open();
      const status = await control.getStatus();
      if (status.enabled === 2) {
        throw new AuditError('begin run', 'EPERM', 'kernel audit is locked (enabled=2) until reboot',
          'its rules and settings cannot change; reboot without `-e 2` in the audit rules');
      }
      const state: HostState = {
        version: STATE_VERSION,
        owner: { ...selfIdentity(), command: procCommand(process.pid) },
        startedAt: new Date().toISOString(),
        audit: { before: beforeOf(status), addedRules: [] },
        undo: [],
      };
      writeState(state);
      return new HostSession(control, lock, state);
    } catch (err) {
      control?.close();
      lock.release();
      throw err;
    }
  }

  get auditBefore(): AuditBefore {
    return this.state.audit.before;
  }

  /** Change kernel audit settings; the originals were recorded at begin(). */
  async setStatus(change: StatusChange): Promise<void> {
    await this.control.setStatus(change);
  }

  /** Add a rule and record the kernel's listed form of it, so restore deletes exactly it. */
  async addRule(ruleData: Buffer): Promise<void> {
    const before = new Set((await this.control.listRules()).map((r) => r.toString('base64')));
    // Record intent first: if we die between add and record, reset still finds it by content.
    this.state.audit.addedRules.push(ruleData.toString('base64'));
    writeState(this.state);
    await this.control.addRule(ruleData);
    const listed = (await this.control.listRules()).map((r) => r.toString('base64')).filter((r) => !before.has(r));
    this.state.audit.addedRules.pop();
    this.state.audit.addedRules.push(...(listed.length ? listed : [ruleData.toString('base64')]));
    writeState(this.state);
  }

  /** Delete a rule; if it was one the run added, restore no longer needs to. */
  async deleteRule(ruleData: Buffer): Promise<void> {
    await this.control.deleteRule(ruleData);
    const present = new Set((await this.control.listRules()).map((r) => r.toString('base64')));
    this.state.audit.addedRules = this.state.audit.addedRules.filter((r) => present.has(r));
    writeState(this.state);
  }

  /**
   * Record, before making it, a change to the host and the steps that put it back (`by` says who
   * made it). Returns a handle: undo(id) carries the steps out, untrack(id) forgets them.
   */
  track(by: string, label: string, steps: UndoStep[]): number {
    const unknown = steps.filter((s) => !UNDO_OPS.includes(s.op));
    if (unknown.length) throw new Error(`${label}: unknown undo step(s) ${unknown.map((s) => s.op).join(', ')}`);
    const id = this.nextId++;
    this.state.undo.push({ id, by, label, steps });
    writeState(this.state);
    return id;
  }

  /** The change was undone by its owner: forget it. */
  untrack(id: number): void {
    this.state.undo = this.state.undo.filter((u) => u.id !== id);
    writeState(this.state);
  }

  /** Put one change back now, by its recorded steps; on failure the record stays for restore(). */
  async undo(id: number): Promise<void> {
    const entry = this.state.undo.find((u) => u.id === id);
    if (!entry) return;
    await runUndoSteps(entry.steps);
    this.untrack(id);
  }

  /** Put everything back; idempotent. Never throws: failures are reported. */
  async restore(): Promise<RestoreReport> {
    if (this.restored) return { restored: [], failed: [] };
    this.restored = true;
    try {
      const report = await restoreState(this.state, this.control);
      if (report.failed.length === 0) removeState();
      return report;
    } finally {
      this.control.close();
      this.lock.release();
    }
  }
}

/** Undo everything a state records, newest first, then the audit rules and settings. */
export async function restoreState(state: HostState, control: AuditControl): Promise<RestoreReport> {
  const report: RestoreReport = { restored: [], failed: [] };
  for (const entry of [...state.undo].reverse()) {
    if (entry.refused) {
      report.failed.push(`${entry.label}: ${entry.refused}`);
      continue;
    }
    try {
      await runUndoSteps(entry.steps);
      report.restored.push(entry.label);
    } catch (err) {
      report.failed.push(`${entry.label}: ${(err as Error).message}`);
    }
  }
  const present = new Set((await control.listRules()).map((r) => r.toString('base64')));
  for (const rule of state.audit.addedRules) {
    if (!present.has(rule)) continue;
    try {
      await control.deleteRule(Buffer.from(rule, 'base64'));
      report.restored.push('deleted a rule the run added');
    } catch (err) {
      report.failed.push(`delete rule: ${(err as Error).message}`);
    }
  }
  const before = state.audit.before;
  const now = await control.getStatus();
  // A daemon the run registered (and that survived its process undo) is unregistered; a daemon
  // that was registered before the run is someone else's and is left alone.
  if (now.pid !== before.pid && before.pid === 0) {
    try {
      await control.setStatus({ pid: 0 });
      report.restored.push(`unregistered audit daemon pid ${now.pid}`);
    } catch (err) {
      report.failed.push(`unregister daemon ${now.pid}: ${(err as Error).message}`);
    }
  } else if (now.pid !== before.pid) {
    report.failed.push(`the audit daemon was pid ${before.pid} before the run and is pid ${now.pid} now: ` +
      'restart your audit daemon (e.g. systemctl restart auditd)');
  }
  const change: StatusChange = {};
  if (now.failure !== before.failure) change.failure = before.failure as 0 | 1;
  if (now.rateLimit !== before.rateLimit) change.rateLimit = before.rateLimit;
  if (now.backlogLimit !== before.backlogLimit) change.backlogLimit = before.backlogLimit;
  if (now.backlogWaitTime !== before.backlogWaitTime) change.backlogWaitTimeJiffies = before.backlogWaitTime;
  if (now.enabled !== before.enabled) change.enabled = before.enabled as 0 | 1;
  if (Object.keys(change).length) {
    try {
      await control.setStatus(change);
      report.restored.push(`settings back: ${Object.keys(change).join(', ')}`);
    } catch (err) {
      report.failed.push(`restore settings ${Object.keys(change).join(', ')}: ${(err as Error).message}`);
    }
  }
  return report;
}

/** `auditstorm reset`: restore after a run that could not (SIGKILL, power loss of the harness). */
export async function resetFromStateFile(): Promise<RestoreReport & { found: boolean; ownerAlive?: boolean }> {
  const state = readState();
  if (!state) return { found: false, restored: [], failed: [] };
  const lock = await acquireLock();
  const control = await AuditControl.open();
  try {
    const report = await restoreState(state, control);
    if (report.failed.length === 0) removeState();
    return { found: true, ...report };
  } finally {
    control.close();
    lock.release();
  }
}
