// Read rule files: text -> parsed lines -> placeholders filled -> compiled rules and settings.
import { describeReadProblem, readTextFile } from '../input/untrusted.ts';
import { compileLines, type CompiledRule, type CompileOptions, type RuleSettings } from './compile.ts';
import { RuleError, type SourcePos } from './errors.ts';
import { parseRuleText } from './parse.ts';
import { substitutePlaceholders, type Placeholders } from './placeholders.ts';

export interface RuleSet {
  /** rules in file order (-a/-A/-w add, -d/-W delete) */
  rules: CompiledRule[];
  /** control lines merged in file order (a later line wins) */
  settings: RuleSettings;
  /** where the settings came from, one entry a control line */
  settingLines: Array<{ settings: RuleSettings; pos: SourcePos; text: string }>;
  /** positions of -D lines (delete all rules) */
  deleteAll: SourcePos[];
}

export interface LoadOptions extends CompileOptions {
  placeholders?: Placeholders;
}

/** Compile rule text (file name is only used in error positions). Throws RuleError. */
export function compileRuleText(text: string, file: string, opts: LoadOptions = {}): RuleSet {
  const parsed = substitutePlaceholders(parseRuleText(text, file), opts.placeholders ?? {});
  const set: RuleSet = { rules: [], settings: {}, settingLines: [], deleteAll: [] };
  for (const line of compileLines(parsed, opts)) {
    if (line.kind === 'rule') set.rules.push(line.rule);
    else if (line.kind === 'setting') {
      set.settingLines.push(line);
      Object.assign(set.settings, line.settings);
    } else set.deleteAll.push(line.pos);
  }
  return set;
}

/** The largest rule file read (far above any real rule set: the kernel holds a few thousand rules). */
export const RULE_FILE_MAX_BYTES = 4 * 1024 * 1024;

/** Read and compile one rule file. Throws RuleError (code IO when unreadable, not a regular
 *  file, over RULE_FILE_MAX_BYTES, or not UTF-8). */
export function readRuleFile(file: string, opts: LoadOptions = {}): RuleSet {
  const r = readTextFile(file, RULE_FILE_MAX_BYTES);
  if (!r.ok) {
    const { detail, hint } = describeReadProblem(r.problem, 'rule file');
    const pos = r.problem.kind === 'not-utf8' ? { file, line: r.problem.line, col: r.problem.col } : { file, line: 0, col: 0 };
    throw new RuleError('IO', pos, '', r.problem.kind === 'not-utf8' ? detail : `the rule file ${detail}`,
      r.problem.kind === 'not-utf8' ? `${hint}; auditctl would pass the raw bytes to the kernel, auditstorm compiles UTF-8 only (load such a rule with auditctl)` : hint);
  }
  return compileRuleText(r.text, file, opts);
}

/** Read several files into one set, in order. */
export function readRuleFiles(files: string[], opts: LoadOptions = {}): RuleSet {
  const out: RuleSet = { rules: [], settings: {}, settingLines: [], deleteAll: [] };
  for (const f of files) {
    const s = readRuleFile(f, opts);
    out.rules.push(...s.rules);
    out.settingLines.push(...s.settingLines);
    Object.assign(out.settings, s.settings);
    out.deleteAll.push(...s.deleteAll);
  }
  return out;
}
