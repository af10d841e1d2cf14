// Parsed rule lines -> what auditctl would send: struct audit_rule_data for rules (byte for
// byte what `auditctl -R` builds, so the kernel lists both the same), settings for control
// lines, and a marker for -D. Semantics follow auditctl 3.0.9 (src/auditctl.c, lib/libaudit.c).
import { statSync } from 'node:fs';
import { RuleError, type SourcePos } from './errors.ts';
import {
  Action, EXCLUDE_FIELDS, F, FIELDS, Filter, FILTER_PREPEND, fieldByName, KEY_SEPARATOR, LIST_NAMES,
  MAX_FIELDS, MAX_KEY_LEN, Op, OPERATORS_BY_SEARCH_ORDER, PATH_MAX, Perm, type FieldSpec, operatorSymbol,
} from './fields.ts';
import type { ParsedLine, RuleOption } from './parse.ts';
import { BITMASK_WORDS, encodeRuleData, type RuleData, type RuleField } from './rule-data.ts';
import {
  detectMachine, elfForMachine, machineForArchName, machineForElf, MAX_SYSCALL, syscallNumber, type Machine,
} from './syscall-table.ts';
import { errnoByName, FILETYPES, FSTYPES, msgTypeByName } from './tables.ts';
import { lookupGroup, lookupUser } from './passwd.ts';

export interface CompiledRule {
  /** -a/-A/-w add, -d/-W delete */
  op: 'add' | 'delete';
  /** struct audit_rule_data, ready for AUDIT_ADD_RULE / AUDIT_DEL_RULE */
  data: Buffer;
  /** the same, as an object (fields in kernel order) */
  rule: RuleData;
  pos: SourcePos;
  /** the source line as written (after placeholder substitution) */
  text: string;
}

/** Control lines, in auditctl's units (backlog_wait_time in kernel jiffies, as auditctl sends it). */
export interface RuleSettings {
  enabled?: 0 | 1;
  failure?: 0 | 1;
  backlogLimit?: number;
  rateLimit?: number;
  backlogWaitTimeJiffies?: number;
}

export type CompiledLine =
  | { kind: 'rule'; rule: CompiledRule }
  | { kind: 'setting'; settings: RuleSettings; pos: SourcePos; text: string }
  | { kind: 'deleteAll'; pos: SourcePos; text: string };

export interface CompileOptions {
  /** how -w decides between a file watch and a directory tree (auditctl stat()s the path) */
  isDirectory?: (path: string) => boolean;
}

const defaultIsDirectory = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

const UNSUPPORTED_HINT = 'auditstorm does not compile it; load it with auditctl';

const UNSUPPORTED_OPTIONS: Record<string, string> = {
  '-C': 'field comparison rules are not supported; load it with auditctl',
  '-i': 'auditstorm stops at the first bad line; remove -i',
  '-c': 'auditstorm stops at the first bad line; remove -c',
  '-R': 'nested rule files are not supported; list the file on the command line instead',
  '-l': 'listing is not a rule; use `auditstorm rules list`',
  '-s': 'status is not a rule; use `auditstorm status`',
  '-m': 'user messages are not rules; load it with auditctl',
  '-q': 'subtree equivalence is not supported; load it with auditctl',
  '-t': 'trimming subtrees is not supported; run auditctl -t',
  '-h': 'help is not a rule',
  '-v': 'version is not a rule',
  '--signal': 'signals are not rules; run auditctl --signal',
  '--reset-lost': 'use `auditstorm` status commands, not a rule file',
  '--reset_backlog_wait_time_actual': 'use `auditstorm` status commands, not a rule file',
  '--loginuid-immutable': 'the harness never makes loginuids immutable (it sets auids for its load processes)',
};

/** strtol/strtoul(v, NULL, 0) over the whole word: decimal, 0x hex, 0 octal; undefined if not a number */
export function parseCNumber(text: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return undefined;
  const body = m[2];
  let v: bigint;
  if (/^0[xX]/.test(body)) v = BigInt(body);
  else if (body.length > 1 && body.startsWith('0')) v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body);
  return m[1] === '-' ? -v : v;
}

const U32_MAX = 0xffffffffn;
const I32_MIN = -0x80000000n;

class LineCompiler {
  private list: number | undefined;
  private action: number | undefined;
  private prepend = false;
  private op: 'add' | 'delete' | undefined;
  private elf = 0;
  private syscallAdded = false;
  private permAdded = false;
  private exeAdded = false;
  private fsAdded = false;
  private readonly mask = new Uint32Array(BITMASK_WORDS);
  private fields: RuleField[] = [];
  private readonly keys: string[] = [];
  private keyPos: SourcePos | undefined;
  private listOption: RuleOption | undefined;
  private sawSyscallOption: RuleOption | undefined;

  constructor(private readonly line: ParsedLine, private readonly opts: CompileOptions) {}

  compile(): CompiledLine {
    const { options } = this.line;
    const control = options.filter((o) => ['-b', '-e', '-f', '-r', '--backlog_wait_time'].includes(o.flag));
    if (control.length > 0) return this.compileControl(control);
    if (options.some((o) => o.flag === '-D')) {
      const d = options.find((o) => o.flag === '-D') as RuleOption;
      const other = options.find((o) => o.flag !== '-D');
      if (other) {
        throw new RuleError('UNSUPPORTED', other.pos, other.flag, '-D takes no other options here',
          'write -D alone on its line (deleting by key is not supported)');
      }
      return { kind: 'deleteAll', pos: d.pos, text: this.line.text };
    }
    for (const o of options) this.apply(o);
    return this.finish();
  }

  private err(code: ConstructorParameters<typeof RuleError>[0], o: RuleOption, detail: string, hint = '', atValue = true): RuleError {
    return new RuleError(code, atValue && o.valuePos ? o.valuePos : o.pos, o.flag, detail, hint);
  }

  private compileControl(control: RuleOption[]): CompiledLine {
    const first = control[0];
    const other = this.line.options.find((o) => o !== first);
    if (other) {
      throw new RuleError('SYNTAX', other.pos, other.flag, `${first.flag} must be alone on its line`,
        'put each control setting on a line of its own');
    }
    const v = first.value ?? '';
    const settings: RuleSettings = {};
    const num = (what: string): number => {
      const n = /^[0-9]/.test(v) ? parseCNumber(v) : undefined;
      if (n === undefined) throw this.err('BAD_VALUE', first, `${what} must be a number, was "${v}"`);
      if (n > U32_MAX) throw this.err('OUT_OF_RANGE', first, `${what} ${v} does not fit in 32 bits`);
      return Number(n);
    };
    // -e and -f: 0 or 1; 2 is refused, with what it would do
    const zeroOrOne = (what: string, twoDoes: string): 0 | 1 => {
      if (v === '2') throw this.err('REFUSED', first, `${first.flag} 2 ${twoDoes}`, `auditstorm never sets ${what}=2; use ${first.flag} 1`);
      if (v !== '0' && v !== '1') throw this.err('BAD_VALUE', first, `${what} must be 0 or 1, was "${v}"`);
      return v === '1' ? 1 : 0;
    };
    switch (first.flag) {
      case '-e':
        settings.enabled = zeroOrOne('enabled', 'locks the audit configuration until reboot');
        break;
      case '-f':
        settings.failure = zeroOrOne('failure', 'panics the kernel when a record is lost');
        break;
      case '-b':
        settings.backlogLimit = num('backlog limit');
        break;
      case '-r':
        settings.rateLimit = num('rate limit');
        break;
      default:
        settings.backlogWaitTimeJiffies = num('backlog_wait_time');
        break;
    }
    return { kind: 'setting', settings, pos: first.pos, text: this.line.text };
  }

  private setList(o: RuleOption, op: 'add' | 'delete', prepend: boolean): void {
    if (this.listOption) {
      throw this.err('BAD_LIST', o, `a second ${o.flag} on one line (first was ${this.listOption.flag} at column ${this.listOption.pos.col})`,
        'one rule per line', false);
    }
    const v = o.value ?? '';
    const parts = v.split(',');
    if (parts.length !== 2) throw this.err('BAD_LIST', o, `"${v}" is not LIST,ACTION`, 'e.g. -a always,exit');
    let list: number | undefined;
    let action: number | undefined;
    for (const p of parts) {
      if (p === 'possible') {
        throw this.err('BAD_LIST', o, 'action "possible" is deprecated and auditctl ignores it', 'use always or never');
      }
      if (p === 'always' && action === undefined) action = Action.ALWAYS;
      else if (p === 'never' && action === undefined) action = Action.NEVER;
      else if (LIST_NAMES.has(p) && list === undefined) list = LIST_NAMES.get(p);
      else {
        throw this.err('BAD_LIST', o, `"${p}" in "${v}" is no list or action`,
          'lists: exit, task, user, exclude, filesystem; actions: always, never');
      }
    }
    if (list === undefined || action === undefined) {
      throw this.err('BAD_LIST', o, `"${v}" needs one list and one action`, 'e.g. -a always,exit');
    }
    if (list === Filter.TASK && this.sawSyscallOption) {
      throw this.err('WRONG_LIST', o, 'syscall auditing requested for the task list', 'drop -S or use the exit list');
    }
    this.list = list;
    this.action = action;
    this.op = op;
    this.prepend = prepend;
    this.listOption = o;
  }

  private apply(o: RuleOption): void {
    switch (o.flag) {
      case '-a': return this.setList(o, 'add', false);
      case '-A': return this.setList(o, 'add', true);
      case '-d': return this.setList(o, 'delete', false);
      case '-S': return this.addSyscalls(o);
      case '-F': return this.addField(o);
      case '-k': return this.addKeyOption(o);
      case '-w': return this.addWatch(o, 'add');
      case '-W': return this.addWatch(o, 'delete');
      case '-p': return this.addPerm(o);
      case '-D':
        throw this.err('SYNTAX', o, '-D must be alone on its line', '', false);
      default:
        throw this.err('UNSUPPORTED', o, UNSUPPORTED_OPTIONS[o.flag] ? 'option not supported in rule files' : 'option not supported',
          UNSUPPORTED_OPTIONS[o.flag] ?? UNSUPPORTED_HINT, false);
    }
  }

  private machine(): Machine | undefined {
    return this.elf ? machineForElf(this.elf) : detectMachine();
  }

  private addSyscalls(o: RuleOption): void {
    this.sawSyscallOption = o;
    if (this.list !== undefined && this.list !== Filter.EXIT) {
      const name = [...LIST_NAMES].find(([, n]) => n === this.list)?.[0];
      throw this.err('WRONG_LIST', o, `syscalls cannot be audited on the ${name} list`, 'use -a always,exit', false);
    }
    if (!this.elf) this.elf = elfForMachine(detectMachine());
    const machine = this.machine() as Machine;
    const v = o.value ?? '';
    let col = 0;
    for (const name of v.split(',')) {
      const at: RuleOption = { ...o, valuePos: o.valuePos ? { ...o.valuePos, col: o.valuePos.col + col } : undefined };
      col += name.length + 1;
      if (name === '') continue; // strtok skips empty items
      if (name === 'all') {
        this.mask.fill(0xffffffff);
        continue;
      }
      let nr = syscallNumber(name, machine);
      if (nr === undefined && /^[0-9]/.test(name)) {
        const n = parseCNumber(name);
        if (n === undefined) throw this.err('UNKNOWN_SYSCALL', at, `"${name}" is no syscall name or number`);
        if (n > BigInt(MAX_SYSCALL)) {
          throw this.err('OUT_OF_RANGE', at, `syscall number ${name} is above ${MAX_SYSCALL}, the kernel's bitmap size`);
        }
        nr = Number(n);
      }
      if (nr === undefined) {
        throw this.err('UNKNOWN_SYSCALL', at, `syscall "${name}" is not in the ${machine} table`,
          `check \`ausyscall ${machine} ${name}\`; -F arch=b32 selects the i386 table and must come before -S`);
      }
      this.mask[nr >> 5] |= (1 << (nr & 31)) >>> 0;
    }
    this.syscallAdded = true;
  }

  private pushField(o: RuleOption, f: RuleField): void {
    if (this.fields.length >= MAX_FIELDS - 1) {
      throw this.err('TOO_MANY_FIELDS', o, `more than ${MAX_FIELDS - 1} fields in one rule`, 'split the rule', false);
    }
    this.fields.push(f);
  }

  private addKey(o: RuleOption, key: string): void {
    if (key === '') throw this.err('BAD_VALUE', o, 'empty key');
    if (key.includes(KEY_SEPARATOR)) throw this.err('BAD_VALUE', o, 'key contains the \\x01 separator');
    const total = [...this.keys, key].join(KEY_SEPARATOR);
    if (Buffer.byteLength(total) > MAX_KEY_LEN) {
      throw this.err('OUT_OF_RANGE', o, `keys of this rule add up to ${Buffer.byteLength(total)} bytes; the kernel takes ${MAX_KEY_LEN}`);
    }
    this.keys.push(key);
    this.keyPos ??= o.valuePos ?? o.pos;
  }

  private addKeyOption(o: RuleOption): void {
    if (!(this.syscallAdded || this.permAdded || this.exeAdded || this.fsAdded) || this.list === undefined) {
      throw this.err('MISPLACED', o, 'key option needs a watch or syscall given prior to it',
        'put -k after -w PATH or after -a LIST,ACTION -S ...', false);
    }
    this.addKey(o, o.value ?? '');
  }

  private addWatch(o: RuleOption, op: 'add' | 'delete'): void {
    if (o.flag === '-w' && this.list !== undefined) {
      throw this.err('MISPLACED', o, "watch option can't be given with a syscall rule's -a/-A/-d",
        'write watches as -w PATH -p PERMS -k KEY, or as -a always,exit -F path=PATH -F perm=PERMS', false);
    }
    if (this.fields.length > 0) throw this.err('MISPLACED', o, 'the rule already has fields; -w must come first', '', false);
    let path = o.value ?? '';
    if (!path.startsWith('/')) throw this.err('BAD_VALUE', o, `watch path "${path}" must start with /`);
    if (Buffer.byteLength(path) >= PATH_MAX) throw this.err('OUT_OF_RANGE', o, `watch path is ${path.length} bytes; PATH_MAX is ${PATH_MAX}`);
    const base = path.replace(/\/+$/, '').split('/').pop() ?? '';
    if (Buffer.byteLength(base) > 255) throw this.err('OUT_OF_RANGE', o, 'the base name of the watch path is longer than 255 bytes');
    if (path.length > 2) path = path.replace(/\/+$/, '') || '/';
    const isDir = (this.opts.isDirectory ?? defaultIsDirectory)(path);
    this.list = Filter.EXIT;
    this.action = Action.ALWAYS;
    this.op = op;
    this.listOption = o;
    this.syscallAdded = true;
    this.permAdded = true;
    this.mask.fill(0xffffffff);
    this.fields = [
      { field: isDir ? F.DIR : F.WATCH, op: Op.EQUAL, value: Buffer.byteLength(path), str: path },
      { field: F.PERM, op: Op.EQUAL, value: Perm.READ | Perm.WRITE | Perm.EXEC | Perm.ATTR },
    ];
  }

  private parsePerms(o: RuleOption, v: string): number {
    if (v.length > 4) throw this.err('BAD_VALUE', o, `permission "${v}" is longer than 4 letters`, 'use letters from rwxa');
    let val = 0;
    for (const c of v.toLowerCase()) {
      if (c === 'r') val |= Perm.READ;
      else if (c === 'w') val |= Perm.WRITE;
      else if (c === 'x') val |= Perm.EXEC;
      else if (c === 'a') val |= Perm.ATTR;
      else throw this.err('BAD_VALUE', o, `permission letter "${c}" is not one of r, w, x, a`);
    }
    return val;
  }

  private addPerm(o: RuleOption): void {
    if (this.list === undefined) {
      throw this.err('MISPLACED', o, 'permission option needs a watch given prior to it', 'write -w PATH -p PERMS', false);
    }
    if (this.fields.length < 1) throw this.err('MISPLACED', o, 'permissions should be preceded by other fields', '', false);
    const val = this.parsePerms(o, o.value ?? '');
    const existing = this.fields.filter((f) => f.field === F.PERM);
    if (existing.length > 0) existing.forEach((f) => { f.value = val; });
    else this.pushField(o, { field: F.PERM, op: Op.EQUAL, value: val });
    this.permAdded = true;
  }

  private addField(o: RuleOption): void {
    if (this.list === undefined) {
      throw this.err('MISPLACED', o, 'list must be given before field', 'start the rule with -a always,exit (or another list)', false);
    }
    const pair = o.value ?? '';
    if (pair.startsWith('key=')) {
      this.addKey({ ...o, valuePos: o.valuePos ? { ...o.valuePos, col: o.valuePos.col + 4 } : undefined }, pair.slice(4));
      return;
    }
    let sym: string | undefined;
    let op = 0;
    let at = -1;
    for (const [s, n] of OPERATORS_BY_SEARCH_ORDER) {
      at = pair.indexOf(s);
      if (at >= 0) { sym = s; op = n; break; }
    }
    if (sym === undefined) {
      throw this.err('BAD_OPERATOR', o, `"${pair}" has no operator`, 'write NAME=VALUE; operators: = != < > <= >= & &=');
    }
    const name = pair.slice(0, at);
    const value = pair.slice(at + sym.length);
    // `==`, `<>`, `=>`, `!==`...: auditctl's search would split them into a field name or value
    // with an operator character in it; name the operator instead
    const opChars = /^[=<>!&]+/.exec(pair.slice(at))?.[0] ?? sym;
    if (opChars !== sym || /[<>!&]$/.test(name)) {
      const written = /[<>!&]$/.test(name) ? `${/[<>!&=]+$/.exec(name)![0]}${opChars}` : opChars;
      const meant: Record<string, string> = { '==': '=', '<>': '!=', '=>': '>=', '=<': '<=', '!==': '!=', '===': '=' };
      throw this.err('BAD_OPERATOR', { ...o, valuePos: o.valuePos ? { ...o.valuePos, col: o.valuePos.col + name.replace(/[<>!&=]+$/, '').length } : undefined },
        `"${written}" is not an operator`, `${meant[written] ? `write ${meant[written]}; ` : ''}operators: = != < > <= >= & &=`);
    }
    const valueAt: RuleOption = { ...o, valuePos: o.valuePos ? { ...o.valuePos, col: o.valuePos.col + at + sym.length } : undefined };
    if (name === '') throw this.err('UNKNOWN_FIELD', o, `"${pair}" has no field name before ${sym}`);
    if (value === '') throw this.err('BAD_VALUE', valueAt, `field ${name} has no value after ${sym}`);
    const spec = fieldByName(name);
    if (!spec) {
      throw this.err('UNKNOWN_FIELD', o, `unknown field "${name}"`,
        `fields: ${FIELDS.filter((f) => f.kind !== 'unsupported').map((f) => f.name).join(', ')}`);
    }
    if (spec.kind === 'unsupported') throw this.err('UNSUPPORTED', o, `field ${spec.name} is not supported`, UNSUPPORTED_HINT);
    const list = this.list;
    if (list === Filter.EXCLUDE && !EXCLUDE_FIELDS.has(spec.number)) {
      throw this.err('WRONG_LIST', o, `field ${spec.name} cannot be used on the exclude list`,
        'the exclude list takes msgtype, pid, uid, gid, auid and exe');
    }
    if (list === Filter.FS && spec.number !== F.FSTYPE && spec.number !== F.FILTERKEY) {
      throw this.err('WRONG_LIST', o, `field ${spec.name} cannot be used on the filesystem list`, 'it takes fstype');
    }
    if (spec.lists && !spec.lists.includes(list)) {
      const names = spec.lists.map((n) => [...LIST_NAMES].find(([, v]) => v === n)?.[0]).join(' or ');
      throw this.err('WRONG_LIST', o, `field ${spec.name} can only be used on the ${names} list`);
    }
    if (spec.ops && !spec.ops.includes(op)) {
      throw this.err('BAD_OPERATOR', o, `field ${spec.name} does not take ${sym}`,
        `use ${spec.ops.map((n) => operatorSymbol(n)).join(' or ')}`);
    }
    if (spec.number === F.ARCH && this.syscallAdded) {
      throw this.err('MISPLACED', o, 'arch must come before -S', 'move -F arch=... in front of the first -S');
    }
    const f: RuleField = { field: spec.number, op, value: 0 };
    this.readValue(spec, value, valueAt, f);
    this.pushField(o, f);
    if (spec.number === F.PERM || spec.number === F.WATCH || spec.number === F.DIR) this.permAdded = true;
    if (spec.number === F.EXE) this.exeAdded = true;
    if (spec.number === F.FSTYPE) this.fsAdded = true;
  }

  private number(o: RuleOption, spec: FieldSpec, v: string, allowNegative: boolean): number {
    const n = parseCNumber(v);
    if (n === undefined || (!allowNegative && n < 0n)) {
      throw this.err('BAD_VALUE', o, `field ${spec.name} needs a ${allowNegative ? '' : 'non-negative '}number, was "${v}"`);
    }
    if (n > U32_MAX || n < I32_MIN) {
      throw this.err('OUT_OF_RANGE', o, `${v} does not fit the 32-bit value of field ${spec.name}`,
        'values run from -2147483648 to 4294967295');
    }
    return Number(BigInt.asUintN(32, n));
  }

  private readValue(spec: FieldSpec, v: string, o: RuleOption, f: RuleField): void {
    const startsNumeric = /^[0-9]/.test(v) || (/^-[0-9]/.test(v) && v.length >= 2);
    // a user or group by name, from the system's database
    const byName = (lookup: (name: string) => number | undefined, what: string, file: string): number => {
      const id = lookup(v);
      if (id === undefined) throw this.err('BAD_VALUE', o, `unknown ${what} "${v}"`, `use a number or a ${what} in ${file}`);
      return id;
    };
    switch (spec.kind) {
      case 'uid':
        if (startsNumeric) f.value = this.number(o, spec, v, true);
        else if (v === 'unset') f.value = 0xffffffff;
        else f.value = byName(lookupUser, 'user', '/etc/passwd');
        return;
      case 'gid':
        if (/^-[0-9]/.test(v)) {
          throw this.err('OUT_OF_RANGE', o, `${spec.name} ${v} is negative`, 'group ids run from 0 to 4294967294; give a number or a group in /etc/group');
        }
        f.value = /^[0-9]/.test(v) ? this.number(o, spec, v, false) : byName(lookupGroup, 'group', '/etc/group');
        return;
      case 'number':
        f.value = this.number(o, spec, v, false);
        return;
      case 'arg':
      case 'sessionid':
        if (spec.kind === 'sessionid' && v === 'unset') { f.value = 0xffffffff; return; }
        f.value = this.number(o, spec, v, true);
        return;
      case 'inode':
        if (this.fields.some((x) => x.field === F.WATCH || x.field === F.DIR || x.field === F.INODE)) {
          throw this.err('BAD_VALUE', o, 'a rule takes one of path, dir, inode', 'split it into two rules');
        }
        f.value = this.number(o, spec, v, false);
        return;
      case 'exit': {
        if (startsNumeric) { f.value = this.number(o, spec, v, true); return; }
        const neg = v.startsWith('-');
        const e = errnoByName(neg ? v.slice(1) : v);
        if (e === undefined) throw this.err('BAD_VALUE', o, `unknown errno name "${v}"`, 'write e.g. -EACCES or a number');
        f.value = (neg ? -e : e) >>> 0;
        return;
      }
      case 'msgtype': {
        if (/^[0-9]/.test(v)) { f.value = this.number(o, spec, v, false); return; }
        const unknown = /^UNKNOWN\[([0-9]{1,7})\]$/.exec(v);
        const t = unknown ? Number(unknown[1]) : msgTypeByName(v);
        if (t === undefined) throw this.err('BAD_VALUE', o, `unknown record type "${v}"`, 'use a name ausearch -m knows, or a number');
        f.value = t;
        return;
      }
      case 'string': {
        const limit = spec.number === F.FILTERKEY ? MAX_KEY_LEN : PATH_MAX;
        if (Buffer.byteLength(v) > limit) throw this.err('OUT_OF_RANGE', o, `${spec.name} is ${Buffer.byteLength(v)} bytes; the limit is ${limit}`);
        if ((spec.number === F.WATCH || spec.number === F.DIR || spec.number === F.EXE) && !v.startsWith('/')) {
          throw this.err('BAD_VALUE', o, `${spec.name} "${v}" must be an absolute path`, 'the kernel rejects relative paths');
        }
        if (spec.number === F.WATCH && v.endsWith('/')) {
          throw this.err('BAD_VALUE', o, `path "${v}" must not end with /`, 'use -F dir= for a directory tree');
        }
        if ((spec.number === F.WATCH || spec.number === F.DIR) &&
          this.fields.some((x) => x.field === F.WATCH || x.field === F.DIR || x.field === F.INODE)) {
          throw this.err('BAD_VALUE', o, 'a rule takes one of path, dir, inode', 'split it into two rules');
        }
        f.value = Buffer.byteLength(v);
        f.str = v;
        return;
      }
      case 'arch': {
        let elf: number | undefined;
        if (/^[0-9]/.test(v)) {
          const n = parseCNumber(v);
          elf = n !== undefined && n <= U32_MAX && machineForElf(Number(n)) ? Number(n) : undefined;
        } else {
          const m = machineForArchName(v);
          elf = m ? elfForMachine(m) : undefined;
        }
        if (elf === undefined) throw this.err('BAD_VALUE', o, `arch "${v}" is not one this machine runs`, 'use b64, b32, x86_64 or i386');
        this.elf = elf;
        f.value = elf;
        return;
      }
      case 'perm':
        f.value = this.parsePerms(o, v);
        return;
      case 'filetype': {
        const t = FILETYPES.get(v.toLowerCase());
        if (t === undefined) throw this.err('BAD_VALUE', o, `unknown file type "${v}"`, `use one of ${[...FILETYPES.keys()].join(', ')}`);
        f.value = t;
        return;
      }
      case 'fstype': {
        const t = /^[0-9]/.test(v) ? this.number(o, spec, v, false) : FSTYPES.get(v.toLowerCase());
        if (t === undefined) throw this.err('BAD_VALUE', o, `unknown file system type "${v}"`, 'use debugfs, tracefs or a magic number');
        f.value = t;
        return;
      }
      default:
        throw this.err('UNSUPPORTED', o, `field ${spec.name} is not supported`, UNSUPPORTED_HINT);
    }
  }

  private finish(): CompiledLine {
    const first = this.line.options[0];
    if (this.list === undefined || this.action === undefined || this.op === undefined) {
      throw new RuleError('SYNTAX', first?.pos ?? this.line.pos, first?.flag ?? '',
        'the line has no -a, -A, -d, -w or control option', 'a rule starts with -a LIST,ACTION or -w PATH');
    }
    if (this.list === Filter.TASK && this.syscallAdded) {
      throw new RuleError('WRONG_LIST', this.listOption?.pos ?? this.line.pos, this.listOption?.flag ?? '',
        'syscall auditing requested for the task list', 'drop -S or use the exit list');
    }
    if (this.keys.length > 0) {
      if (!(this.syscallAdded || this.permAdded || this.exeAdded || this.fsAdded)) {
        throw new RuleError('MISPLACED', this.keyPos ?? this.line.pos, '-k',
          'a key needs a watch, syscall, perm or exe in the rule', 'add -S ..., -F perm=..., or -F exe=...');
      }
      const key = this.keys.join(KEY_SEPARATOR);
      if (this.fields.length >= MAX_FIELDS - 1) {
        throw new RuleError('TOO_MANY_FIELDS', this.keyPos ?? this.line.pos, '-k', `more than ${MAX_FIELDS - 1} fields in one rule`, 'split the rule');
      }
      // auditctl collects every -k / -F key= and adds them as one field at the end
      this.fields.push({ field: F.FILTERKEY, op: Op.EQUAL, value: Buffer.byteLength(key), str: key });
    }
    // auditctl: a rule on any list but task with no -S audits all syscalls
    if (this.list !== Filter.TASK && !this.syscallAdded) this.mask.fill(0xffffffff);
    const rule: RuleData = {
      flags: this.list | (this.prepend ? FILTER_PREPEND : 0),
      action: this.action,
      mask: this.mask,
      fields: this.fields,
    };
    return {
      kind: 'rule',
      rule: { op: this.op, data: encodeRuleData(rule), rule, pos: this.listOption?.pos ?? this.line.pos, text: this.line.text },
    };
  }
}

/** Compile one parsed line. Throws RuleError. */
export function compileLine(line: ParsedLine, opts: CompileOptions = {}): CompiledLine {
  return new LineCompiler(line, opts).compile();
}

/** Compile all lines; stops at the first error (as auditctl -R does). */
export function compileLines(lines: ParsedLine[], opts: CompileOptions = {}): CompiledLine[] {
  return lines.map((l) => compileLine(l, opts));
}
