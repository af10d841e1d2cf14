// Splits one rule-file line into words as auditctl -R does: words are separated by spaces;
// `\ ` is a literal space inside a word and `\\` a literal backslash. Each word keeps the
// 1-based column where it starts, so errors can point at it.
import { RuleError, type SourcePos } from './errors.ts';

export interface Token {
  text: string;
  pos: SourcePos;
}

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
    }
    tokens.push({ text, pos: { file, line: lineNo, col: start + 1 } });
  }
  return tokens;
}
