// Errors for rule text and rule buffers. Every error says what is wrong, where
// (file:line:column of the offending token), the option involved, and what to do.

/** A position in a rule file: 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/**
 * Error codes (documented in docs/rules.md):
 * - SYNTAX           malformed line (unbalanced quoting, option without its value, stray word)
 * - UNSUPPORTED      an auditctl option or field we do not compile (hint: load it with auditctl)
 * - BAD_LIST         -a/-A/-d list,action not understood, or given twice
 * - BAD_OPERATOR     -F without an operator, or an operator the field does not take
 * - UNKNOWN_FIELD    -F name that is no audit field
 * - BAD_VALUE        a value that does not parse for its field (name unknown, not a number...)
 * - OUT_OF_RANGE     a number outside what the kernel field holds
 * - UNKNOWN_SYSCALL  -S name not in the table of the rule's arch
 * - MISPLACED        an option where auditctl does not accept it (arch after -S, -F before -a...)
 * - WRONG_LIST       a field or -S on a filter list that cannot take it
 * - TOO_MANY_FIELDS  more than 63 fields (the kernel's limit is 64, auditctl's 63)
 * - REFUSED          legal auditctl that this project never does (-e 2, -f 2)
 * - PLACEHOLDER      @NAME@ with no value given
 * - UNSCOPED         a rule without an auid or pid field, loaded without --allow-unscoped
 * - IO               the rule file cannot be read
 */
export type RuleErrorCode =
  | 'SYNTAX' | 'UNSUPPORTED' | 'BAD_LIST' | 'BAD_OPERATOR' | 'UNKNOWN_FIELD' | 'BAD_VALUE'
  | 'OUT_OF_RANGE' | 'UNKNOWN_SYSCALL' | 'MISPLACED' | 'WRONG_LIST' | 'TOO_MANY_FIELDS'
  | 'REFUSED' | 'PLACEHOLDER' | 'UNSCOPED' | 'IO';

/** Quoted values longer than this are cut in messages (a 1 MiB word is not echoed whole). */
const QUOTED_MAX = 80;
const shortenQuoted = (text: string): string =>
  text.replace(/"([^"]{81,})"/g, (_m, v: string) => `"${v.slice(0, QUOTED_MAX)}..." (${v.length} characters)`);

export class RuleError extends Error {
  readonly code: RuleErrorCode;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** the auditctl option involved, e.g. `-F`, `-S`, `-e` ('' when none) */
  readonly option: string;
  readonly hint: string;
  /** the message without location and hint */
  readonly detail: string;
  constructor(code: RuleErrorCode, pos: SourcePos, option: string, detail: string, hint = '') {
    detail = shortenQuoted(detail);
    hint = shortenQuoted(hint);
    const where = pos.line > 0 ? `${pos.file}:${pos.line}:${pos.col}` : pos.file;
    const opt = option ? ` ${option}:` : '';
    super(`${where}:${opt} ${detail}${hint ? ` (${hint})` : ''}`);
    this.name = 'RuleError';
    this.code = code;
    this.file = pos.file;
    this.line = pos.line;
    this.col = pos.col;
    this.option = option;
    this.detail = detail;
    this.hint = hint;
  }
}

/** A kernel rule buffer (audit_rule_data) that does not decode: truncated or inconsistent. */
export class RuleDataError extends Error {
  readonly code = 'BAD_RULE_DATA';
  /** byte offset where decoding failed */
  readonly offset: number;
  constructor(detail: string, offset: number) {
    super(`audit_rule_data: ${detail} (at byte ${offset}); the buffer is not a rule the kernel lists`);
    this.name = 'RuleDataError';
    this.offset = offset;
  }
}
