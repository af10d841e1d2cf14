// Rule text -> a list of lines, each a list of options with their values and positions.
// Syntax only: which options exist and take a value (as auditctl's getopt string has it).
// Whether an option is supported and what it means is compile.ts's business.
import { RuleError, type SourcePos } from './errors.ts';
import { tokenizeLine, type Token } from './lexer.ts';

export interface RuleOption {
  /** as written in canonical form: `-a`, `-F`, `--backlog_wait_time` */
  flag: string;
  pos: SourcePos;
  value?: string;
  valuePos?: SourcePos;
}

export interface ParsedLine {
  pos: SourcePos;
  /** the line as written */
  text: string;
  options: RuleOption[];
}

// auditctl 3.0.9's getopt string: "hicslDvtC:e:f:r:b:a:A:d:S:F:m:R:w:W:k:p:q:"
const SHORT_WITH_VALUE = new Set('CefrbaAdSFmRwWkpq'.split(''));
const SHORT_FLAGS = new Set('hicslDvt'.split(''));
const LONG_WITH_VALUE = new Set(['backlog_wait_time', 'signal']);
const LONG_FLAGS = new Set(['loginuid-immutable', 'reset-lost', 'reset_backlog_wait_time_actual']);

function optionsOf(tokens: Token[]): RuleOption[] {
  const options: RuleOption[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const needValue = (flag: string, attached: string, attachedCol: number): RuleOption => {
      if (attached !== '') {
        return { flag, pos: t.pos, value: attached, valuePos: { ...t.pos, col: t.pos.col + attachedCol } };
      }
      const next = tokens[i + 1];
      if (next === undefined) {
        throw new RuleError('SYNTAX', t.pos, flag, 'option needs a value and the line ends here',
          `write ${flag} VALUE`);
      }
      i++;
      return { flag, pos: t.pos, value: next.text, valuePos: next.pos };
    };
    if (t.text.startsWith('--') && t.text.length > 2) {
      const eq = t.text.indexOf('=');
      const name = eq >= 0 ? t.text.slice(2, eq) : t.text.slice(2);
      const flag = `--${name}`;
      if (LONG_WITH_VALUE.has(name)) {
        options.push(needValue(flag, eq >= 0 ? t.text.slice(eq + 1) : '', eq + 1));
        if (eq >= 0 && t.text.slice(eq + 1) === '') {
          throw new RuleError('SYNTAX', t.pos, flag, 'option needs a value after =', `write ${flag}=VALUE`);
        }
      } else if (LONG_FLAGS.has(name)) {
        if (eq >= 0) throw new RuleError('SYNTAX', t.pos, flag, 'option takes no value', `write ${flag} alone`);
        options.push({ flag, pos: t.pos });
      } else {
        throw new RuleError('SYNTAX', t.pos, flag, 'no such auditctl option', 'see auditctl(8) for the options');
      }
      continue;
    }
    if (t.text.startsWith('-') && t.text.length > 1) {
      // short options may be bundled as getopt allows (-Dk key is unusual but legal); we take
      // the first letter and, for options with a value, the rest of the word as the value
      const letter = t.text[1];
      if (SHORT_WITH_VALUE.has(letter)) {
        options.push(needValue(`-${letter}`, t.text.slice(2), 2));
      } else if (SHORT_FLAGS.has(letter)) {
        if (t.text.length > 2) {
          throw new RuleError('SYNTAX', t.pos, `-${letter}`, `option takes no value, found "${t.text}"`,
            `write -${letter} on its own`);
        }
        options.push({ flag: `-${letter}`, pos: t.pos });
      } else {
        throw new RuleError('SYNTAX', t.pos, `-${letter}`, 'no such auditctl option', 'see auditctl(8) for the options');
      }
      continue;
    }
    throw new RuleError('SYNTAX', t.pos, '', `"${t.text}" is not an option and follows no option that takes a value`,
      'values with spaces need `\\ ` escapes; every word must belong to an option');
  }
  return options;
}

/** Parse rule text: one rule or control command a line, `#` comments, blank lines skipped. */
export function parseRuleText(text: string, file = '<rules>'): ParsedLine[] {
  const out: ParsedLine[] = [];
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, idx) => {
    const lineNo = idx + 1;
    if (line.trim() === '') return;
    const firstWord = line.replace(/^ +/, '');
    if (firstWord.startsWith('#')) return;
    const tokens = tokenizeLine(line, file, lineNo);
    if (tokens.length === 0) return;
    out.push({ pos: { file, line: lineNo, col: tokens[0].pos.col }, text: line, options: optionsOf(tokens) });
  });
  return out;
}
