// Scope guard: a rule the harness loads must audit only the run's own processes, else it floods
// the machine (and its real audit daemon) with everyone's events.
import { RuleError } from './errors.ts';
import type { CompiledRule } from './compile.ts';
import { F, Op } from './fields.ts';
import type { RuleData } from './rule-data.ts';

/**
 * True when the rule has an `auid=` or `pid=` field. Only equality scopes: `auid!=N` or
 * `auid>=N` still match processes that are not the run's.
 */
export function isScoped(rule: RuleData | CompiledRule): boolean {
  const r = 'rule' in rule ? rule.rule : rule;
  return r.fields.some((f) => (f.field === F.LOGINUID || f.field === F.PID) && f.op === Op.EQUAL);
}

/** Throw UNSCOPED for the first added rule without a scope, unless allowUnscoped. */
export function assertScoped(rules: CompiledRule[], allowUnscoped: boolean): void {
  if (allowUnscoped) return;
  for (const r of rules) {
    if (r.op === 'add' && !isScoped(r)) {
      throw new RuleError('UNSCOPED', r.pos, '-a', 'rule has no -F auid=N or -F pid=N scope, so it would audit every process',
        'add -F auid=@AUID@ (watches: write -a always,exit -F dir=PATH -F perm=wa -F auid=@AUID@), or pass --allow-unscoped');
    }
  }
}
