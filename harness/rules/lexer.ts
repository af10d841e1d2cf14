// Splits one rule-file line into words as auditctl -R does: words are separated by spaces;
// `\ ` is a literal space inside a word and `\\` a literal backslash. Each word keeps the
// 1-based column where it starts, so errors can point at it.
import { RuleError, type SourcePos } from './errors.ts';

export interface Token {
  text: string;
  pos: SourcePos;
}

/** Longest word taken: a PATH_MAX path with its `-F path=` and escapes fits; anything longer is
 *  no value the kernel would take, and is refused before it reaches an error message. */
export const MAX_WORD_CHARS = 8192;

export function tokenizeLine(line: string, file: string, lineNo: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const ch = line[i];
    if (ch === ' ') { i++; continue; }
    if (ch < ' ' || ch === '\x7f') {
      // auditctl splits on spaces only: a tab or CR would end up inside a word
      throw new RuleError('SYNTAX', { file, line: lineNo, col: i + 1 }, '',
        `control character 0x${ch.charCodeAt(0).toString(16).padStart(2, '0')} in the line`,
        'separate words with spaces only (auditctl does not split on tabs) and use Unix line ends');
    }
    const start = i;
    let text = '';
    while (i < line.length && line[i] !== ' ') {
      if (line[i] < ' ' || line[i] === '\x7f') break;
      if (line[i] === '\\' && (line[i + 1] === ' ' || line[i + 1] === '\\')) {
        text += line[i + 1];
        i += 2;
        continue;
      }
      text += line[i++];
      if (text.length > MAX_WORD_CHARS) {
        throw new RuleError('SYNTAX', { file, line: lineNo, col: start + 1 }, '',
          `a word longer than ${MAX_WORD_CHARS} characters ("${text.slice(0, 40)}...")`,
          'no rule value is that long (paths end at 4096 bytes, keys at 256); is this a rule file?');
      }
    }
    tokens.push({ text, pos: { file, line: lineNo, col: start + 1 } });
  }
  return tokens;
}
