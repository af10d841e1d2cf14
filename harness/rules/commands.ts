// What the CLI's `rules check`, `rules load` and `rules list` do, as functions the CLI wires up.
// Exit codes are the CLI's: a RuleError is bad input (2); an AuditError from the kernel is an
// environment or verdict failure the CLI maps as it maps other kernel errors.
import { randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { AuditControl, StatusChange } from '../kernel/audit-control.ts';
import type { CompiledRule, RuleSettings } from './compile.ts';
import { decodeRule } from './decode.ts';
import { RuleError } from './errors.ts';
import { readRuleFile, readRuleFiles, type RuleSet } from './rule-file.ts';
import { assertScoped, isScoped } from './scope.ts';

/** auids reserved for the harness's load processes: nothing else on a machine has one */
export const RUN_AUID_MIN = 4200000000;
export const RUN_AUID_MAX = 4290000000;

export function pickRunAuid(): number {
  return randomInt(RUN_AUID_MIN, RUN_AUID_MAX + 1);
}

/** Placeholder values `rules check` uses when it is given none: any valid value checks the syntax. */
export const CHECK_PLACEHOLDERS = { AUID: String(RUN_AUID_MIN), SCRATCH: tmpdir() } as const;

export interface CheckedFile {
  file: string;
  ok: boolean;
  /** number of rules (add and delete) */
  rules: number;
  unscoped: number;
  settings: RuleSettings;
  deleteAll: number;
  /** canonical auditctl -l text of each rule, as the kernel would list it */
  canonical: string[];
  error?: RuleError;
}

export interface CheckReport {
  ok: boolean;
  files: CheckedFile[];
}

/** `auditstorm rules check FILE...`: compile each file (first error per file), never touch the kernel. */
export function rulesCheck(files: string[], opts: { placeholders?: Record<string, string> } = {}): CheckReport {
  const placeholders = { ...CHECK_PLACEHOLDERS, ...opts.placeholders };
  const out: CheckedFile[] = files.map((file) => {
    try {
      const set = readRuleFile(file, { placeholders });
      return {
        file, ok: true, rules: set.rules.length,
        unscoped: set.rules.filter((r) => r.op === 'add' && !isScoped(r)).length,
        settings: set.settings, deleteAll: set.deleteAll.length,
        canonical: set.rules.map((r) => decodeRule(r.data)),
      };
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      return { file, ok: false, rules: 0, unscoped: 0, settings: {}, deleteAll: 0, canonical: [], error: err };
    }
  });
  return { ok: out.every((f) => f.ok), files: out };
}

export interface LoadOptions {
  /** the run's auid for @AUID@; picked at random in the run range when absent */
  auid?: number;
  /** directory for @SCRATCH@ */
  scratch?: string;
  allowUnscoped?: boolean;
  /** apply -b/-r/-e/-f/--backlog_wait_time lines (default false: returned for the caller to apply) */
  applySettings?: boolean;
  /** allow -D lines (default false: -D would delete rules that are not ours) */
  allowDeleteAll?: boolean;
}

export interface LoadResult {
  auid: number;
  /** rule payloads added, in order: pass each to ctl.deleteRule to take exactly these back out */
  added: Buffer[];
  /** rule payloads deleted by -d/-W lines */
  deleted: Buffer[];
  settings: RuleSettings;
  rules: CompiledRule[];
}

/** Turn rule-file settings into a StatusChange for AuditControl.setStatus. */
export function settingsToStatusChange(s: RuleSettings): StatusChange {
  const c: StatusChange = {};
  if (s.enabled !== undefined) c.enabled = s.enabled;
  if (s.failure !== undefined) c.failure = s.failure;
  if (s.backlogLimit !== undefined) c.backlogLimit = s.backlogLimit;
  if (s.rateLimit !== undefined) c.rateLimit = s.rateLimit;
  if (s.backlogWaitTimeJiffies !== undefined) c.backlogWaitTimeJiffies = s.backlogWaitTimeJiffies;
  return c;
}

/**
 * `auditstorm rules load FILE... [--auid N] [--allow-unscoped]`: compile every file first (nothing
 * is loaded if any line is bad or unscoped), then add/delete the rules in order. If the kernel
 * refuses one, the rules this call added are taken out again before the error is rethrown.
 */
/** What rulesLoad needs of the kernel: an AuditControl, or a HostSession that records each change. */
export type RuleTarget = Pick<AuditControl, 'addRule' | 'deleteRule' | 'setStatus'>;

export async function rulesLoad(ctl: RuleTarget, files: string[], opts: LoadOptions = {}): Promise<LoadResult> {
  const auid = opts.auid ?? pickRunAuid();
  if (!Number.isInteger(auid) || auid < 0 || auid > 0xfffffffe) {
    throw new RangeError(`--auid ${auid}: must be an integer from 0 to 4294967294`);
  }
  const set: RuleSet = readRuleFiles(files, {
    placeholders: { AUID: String(auid), ...(opts.scratch ? { SCRATCH: opts.scratch } : {}) },
  });
  if (set.deleteAll.length > 0 && !opts.allowDeleteAll) {
    throw new RuleError('REFUSED', set.deleteAll[0], '-D', 'deleting all rules would remove rules that are not this run\'s',
      'remove the -D line; the harness takes out exactly the rules it added');
  }
  assertScoped(set.rules, opts.allowUnscoped ?? false);
  const added: Buffer[] = [];
  const deleted: Buffer[] = [];
  try {
    for (const r of set.rules) {
      if (r.op === 'add') {
        await ctl.addRule(r.data);
        added.push(r.data);
      } else {
        await ctl.deleteRule(r.data);
        deleted.push(r.data);
      }
    }
    if (opts.applySettings && Object.keys(set.settings).length > 0) {
      await ctl.setStatus(settingsToStatusChange(set.settings));
    }
  } catch (err) {
    for (const b of added.reverse()) await ctl.deleteRule(b).catch(() => undefined);
    throw err;
  }
  return { auid, added, deleted, settings: set.settings, rules: set.rules };
}

export interface ListedRule {
  /** canonical auditctl -l text */
  text: string;
  /** the payload as the kernel listed it (pass to deleteRule) */
  data: Buffer;
}

/** `auditstorm rules list`: the kernel's rules as auditctl -l prints them (empty array: "No rules"). */
export async function rulesList(ctl: AuditControl): Promise<ListedRule[]> {
  return (await ctl.listRules()).map((data) => ({ text: decodeRule(data), data }));
}
