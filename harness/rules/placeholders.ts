// @NAME@ placeholders in rule files: @AUID@ (the run's audit uid, so every rule audits only the
// run's load processes) and @SCRATCH@ (the run's scratch directory). Substituted per word after
// splitting, so error columns still point into the file as written.
import { RuleError } from './errors.ts';
import type { ParsedLine } from './parse.ts';

export type Placeholders = Readonly<Record<string, string>>;

const PLACEHOLDER = /@([A-Z][A-Z0-9_]*)@/g;

function substitute(text: string, values: Placeholders, onMissing: (name: string, index: number) => never): string {
  return text.replace(PLACEHOLDER, (whole, name: string, index: number) => {
    const v = values[name];
    if (v === undefined) onMissing(name, index);
    return v as string;
  });
}

/** Replace placeholders in option values; a placeholder without a value is a PLACEHOLDER error. */
export function substitutePlaceholders(lines: ParsedLine[], values: Placeholders): ParsedLine[] {
  return lines.map((line) => ({
    ...line,
    text: line.text.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole),
    options: line.options.map((o) => {
      if (o.value === undefined) return o;
      const value = substitute(o.value, values, (name, index) => {
        const pos = o.valuePos ?? o.pos;
        throw new RuleError('PLACEHOLDER', { ...pos, col: pos.col + index }, o.flag, `placeholder @${name}@ has no value`,
          name === 'AUID' ? 'pass --auid N (or let the harness pick the run\'s auid)'
            : name === 'SCRATCH' ? 'the harness fills @SCRATCH@ with the run\'s scratch directory'
              : 'known placeholders: @AUID@, @SCRATCH@');
      });
      return { ...o, value };
    }),
  }));
}
