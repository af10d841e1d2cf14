// Audit rule fields: names (as auditctl spells them), kernel numbers (<linux/audit.h>), how a
// value is read, and which filter lists accept them. Numbers and operator bits are kernel ABI.

export const Op = {
  BIT_MASK: 0x08000000,
  LESS_THAN: 0x10000000,
  GREATER_THAN: 0x20000000,
  NOT_EQUAL: 0x30000000,
  EQUAL: 0x40000000,
  BIT_TEST: 0x48000000,
  LESS_THAN_OR_EQUAL: 0x50000000,
  GREATER_THAN_OR_EQUAL: 0x60000000,
} as const;
/** AUDIT_OPERATORS: the bits of fieldflags that hold the operator */
export const OPERATOR_BITS = 0x78000000;

/** Operator symbols in the order auditctl looks for them in `name OP value` (two-char first). */
export const OPERATORS_BY_SEARCH_ORDER: ReadonlyArray<[string, number]> = [
  ['!=', Op.NOT_EQUAL], ['>=', Op.GREATER_THAN_OR_EQUAL], ['<=', Op.LESS_THAN_OR_EQUAL],
  ['&=', Op.BIT_TEST], ['=', Op.EQUAL], ['>', Op.GREATER_THAN], ['<', Op.LESS_THAN], ['&', Op.BIT_MASK],
];

const SYMBOLS = new Map<number, string>(OPERATORS_BY_SEARCH_ORDER.map(([s, n]) => [n, s]));
export const operatorSymbol = (op: number): string | undefined => SYMBOLS.get(op);

export const Filter = { USER: 0, TASK: 1, ENTRY: 2, WATCH: 3, EXIT: 4, EXCLUDE: 5, FS: 6, URING_EXIT: 7 } as const;
export const FILTER_PREPEND = 0x10;
/** list names as auditctl reads and prints them */
export const LIST_NAMES: ReadonlyMap<string, number> = new Map([
  ['task', Filter.TASK], ['exit', Filter.EXIT], ['user', Filter.USER], ['exclude', Filter.EXCLUDE],
  ['filesystem', Filter.FS],
]);
export const Action = { NEVER: 0, POSSIBLE: 1, ALWAYS: 2 } as const;
export const ACTION_NAMES: ReadonlyMap<number, string> = new Map([[0, 'never'], [1, 'possible'], [2, 'always']]);

export const F = {
  PID: 0, UID: 1, EUID: 2, SUID: 3, FSUID: 4, GID: 5, EGID: 6, SGID: 7, FSGID: 8, LOGINUID: 9,
  PERS: 10, ARCH: 11, MSGTYPE: 12, SUBJ_USER: 13, SUBJ_CLR: 17, PPID: 18, OBJ_USER: 19, OBJ_LEV_HIGH: 23,
  LOGINUID_SET: 24, SESSIONID: 25, FSTYPE: 26, DEVMAJOR: 100, DEVMINOR: 101, INODE: 102, EXIT: 103,
  SUCCESS: 104, WATCH: 105, PERM: 106, DIR: 107, FILETYPE: 108, OBJ_UID: 109, OBJ_GID: 110,
  FIELD_COMPARE: 111, EXE: 112, SADDR_FAM: 113, ARG0: 200, ARG1: 201, ARG2: 202, ARG3: 203, FILTERKEY: 210,
} as const;

export const Perm = { EXEC: 1, WRITE: 2, READ: 4, ATTR: 8 } as const;

/** How a field's value is read. 'unsupported' fields decode but do not compile. */
export type FieldKind =
  | 'uid' | 'gid' | 'number' | 'exit' | 'msgtype' | 'string' | 'arch' | 'perm' | 'filetype'
  | 'inode' | 'arg' | 'sessionid' | 'fstype' | 'unsupported';

export interface FieldSpec {
  name: string;
  number: number;
  kind: FieldKind;
  /** lists the field is legal on (auditctl + kernel); undefined = any */
  lists?: readonly number[];
  /** the only operators the field takes; undefined = all eight */
  ops?: readonly number[];
}

const EXIT_ONLY = [Filter.EXIT] as const;
const EQ_NE = [Op.EQUAL, Op.NOT_EQUAL] as const;

// Order matters for number -> name: the first entry names the number (auid, not loginuid).
export const FIELDS: readonly FieldSpec[] = [
  { name: 'pid', number: F.PID, kind: 'number' },
  { name: 'uid', number: F.UID, kind: 'uid' },
  { name: 'euid', number: F.EUID, kind: 'uid' },
  { name: 'suid', number: F.SUID, kind: 'uid' },
  { name: 'fsuid', number: F.FSUID, kind: 'uid' },
  { name: 'gid', number: F.GID, kind: 'gid' },
  { name: 'egid', number: F.EGID, kind: 'gid' },
  { name: 'sgid', number: F.SGID, kind: 'gid' },
  { name: 'fsgid', number: F.FSGID, kind: 'gid' },
  { name: 'auid', number: F.LOGINUID, kind: 'uid' },
  { name: 'loginuid', number: F.LOGINUID, kind: 'uid' },
  { name: 'pers', number: F.PERS, kind: 'number' },
  { name: 'arch', number: F.ARCH, kind: 'arch', ops: EQ_NE },
  { name: 'msgtype', number: F.MSGTYPE, kind: 'msgtype', lists: [Filter.EXCLUDE, Filter.USER] },
  { name: 'subj_user', number: 13, kind: 'unsupported' },
  { name: 'subj_role', number: 14, kind: 'unsupported' },
  { name: 'subj_type', number: 15, kind: 'unsupported' },
  { name: 'subj_sen', number: 16, kind: 'unsupported' },
  { name: 'subj_clr', number: 17, kind: 'unsupported' },
  { name: 'ppid', number: F.PPID, kind: 'number', lists: EXIT_ONLY },
  { name: 'obj_user', number: 19, kind: 'unsupported' },
  { name: 'obj_role', number: 20, kind: 'unsupported' },
  { name: 'obj_type', number: 21, kind: 'unsupported' },
  { name: 'obj_lev_low', number: 22, kind: 'unsupported' },
  { name: 'obj_lev_high', number: 23, kind: 'unsupported' },
  { name: 'sessionid', number: F.SESSIONID, kind: 'sessionid', lists: [Filter.EXCLUDE, Filter.USER, Filter.EXIT] },
  { name: 'devmajor', number: F.DEVMAJOR, kind: 'number', lists: EXIT_ONLY },
  { name: 'devminor', number: F.DEVMINOR, kind: 'number', lists: EXIT_ONLY },
  { name: 'inode', number: F.INODE, kind: 'inode', lists: EXIT_ONLY, ops: EQ_NE },
  { name: 'exit', number: F.EXIT, kind: 'exit', lists: EXIT_ONLY },
  { name: 'success', number: F.SUCCESS, kind: 'number', lists: EXIT_ONLY },
  // the kernel takes watches and dir trees only with `=`
  { name: 'path', number: F.WATCH, kind: 'string', lists: EXIT_ONLY, ops: [Op.EQUAL] },
  { name: 'perm', number: F.PERM, kind: 'perm', lists: EXIT_ONLY, ops: [Op.EQUAL] },
  { name: 'dir', number: F.DIR, kind: 'string', lists: EXIT_ONLY, ops: [Op.EQUAL] },
  { name: 'filetype', number: F.FILETYPE, kind: 'filetype', lists: EXIT_ONLY },
  { name: 'fstype', number: F.FSTYPE, kind: 'fstype', lists: [Filter.FS], ops: EQ_NE },
  { name: 'obj_uid', number: F.OBJ_UID, kind: 'uid' },
  { name: 'obj_gid', number: F.OBJ_GID, kind: 'gid' },
  { name: 'field_compare', number: F.FIELD_COMPARE, kind: 'unsupported' },
  { name: 'a0', number: F.ARG0, kind: 'arg' },
  { name: 'a1', number: F.ARG1, kind: 'arg' },
  { name: 'a2', number: F.ARG2, kind: 'arg' },
  { name: 'a3', number: F.ARG3, kind: 'arg' },
  { name: 'key', number: F.FILTERKEY, kind: 'string' },
  { name: 'exe', number: F.EXE, kind: 'string', ops: EQ_NE },
  { name: 'saddr_fam', number: F.SADDR_FAM, kind: 'unsupported' },
];

const BY_NAME = new Map(FIELDS.map((f) => [f.name, f]));
const BY_NUMBER = new Map<number, FieldSpec>();
for (const f of FIELDS) if (!BY_NUMBER.has(f.number)) BY_NUMBER.set(f.number, f);

/** field spec by auditctl name (case-insensitive, as libaudit) */
export const fieldByName = (name: string): FieldSpec | undefined => BY_NAME.get(name.toLowerCase());
export const fieldByNumber = (n: number): FieldSpec | undefined => BY_NUMBER.get(n);

/** Fields whose value lives in the rule's string buffer (the value slot holds the length). */
export function isStringField(field: number): boolean {
  return (field >= F.SUBJ_USER && field <= F.OBJ_LEV_HIGH && field !== F.PPID) ||
    field === F.WATCH || field === F.DIR || field === F.FILTERKEY || field === F.EXE;
}

/** Fields the exclude list accepts (kernel with AUDIT_FEATURE_BITMAP_EXCLUDE_EXTEND). */
export const EXCLUDE_FIELDS: ReadonlySet<number> = new Set([
  F.PID, F.UID, F.GID, F.LOGINUID, F.MSGTYPE, 13, 14, 15, 16, 17, F.EXE,
]);

export const KEY_SEPARATOR = '\x01';
export const MAX_KEY_LEN = 256;
export const PATH_MAX = 4096;
export const MAX_FIELDS = 64;
