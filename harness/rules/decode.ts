// The kernel's listed struct audit_rule_data -> the line Debian's `auditctl -l` (3.0.9, no -i)
// prints for it, character for character. Mirrors src/auditctl-listing.c: a rule that has only
// path/dir, perm and key fields and audits all syscalls prints as -w; the arch is printed first
// and picks the syscall table; keys print as -F key= (or -k for watches); printf quirks included
// (auid prints as a signed int, a0..a3 in hex, inode unsigned, unknown names as numbers).
import { RuleDataError } from './errors.ts';
import {
  ACTION_NAMES, F, fieldByNumber, Filter, KEY_SEPARATOR, LIST_NAMES, operatorSymbol, Perm,
} from './fields.ts';
import { decodeRuleData, type RuleData, type RuleField } from './rule-data.ts';
import { ARCH_64BIT, detectMachine, machineForElf, MAX_SYSCALL, syscallName, type Machine } from './syscall-table.ts';
import { errnoName, fsTypeName, msgTypeName } from './tables.ts';

const FILTER_MASK = 0x07;
const signed = (v: number): number => v | 0;
const hex = (v: number): string => `0x${(v >>> 0).toString(16).toUpperCase()}`;
// printf("%s", NULL) in glibc prints "(null)": what auditctl shows for names it lacks
const orNull = (s: string | undefined): string => s ?? '(null)';

const listName = (flags: number): string | undefined =>
  [...LIST_NAMES].find(([, n]) => n === flags)?.[0];

function noSyscalls(list: number): boolean {
  return list === Filter.USER || list === Filter.TASK || list === Filter.EXCLUDE || list === Filter.FS;
}

function allSyscalls(mask: Uint32Array): boolean {
  // auditctl checks the first 63 words only
  for (let i = 0; i < 63; i++) if (mask[i] !== 0xffffffff) return false;
  return true;
}

function isWatch(r: RuleData): boolean {
  let perm = false;
  for (const f of r.fields) {
    if (f.field === F.PERM) perm = true;
    if (f.field !== F.PERM && f.field !== F.FILTERKEY && f.field !== F.DIR && f.field !== F.WATCH) return false;
  }
  const all = noSyscalls(r.flags & FILTER_MASK) ? true : allSyscalls(r.mask);
  return perm && all;
}

const COMPARE_NAMES: Record<number, [string, string]> = {
  1: ['uid', 'obj_uid'], 2: ['gid', 'obj_gid'], 3: ['euid', 'obj_uid'], 4: ['egid', 'obj_gid'],
  5: ['auid', 'obj_uid'], 6: ['suid', 'obj_uid'], 7: ['sgid', 'obj_gid'], 8: ['fsuid', 'obj_uid'],
  9: ['fsgid', 'obj_gid'], 10: ['uid', 'auid'], 11: ['uid', 'euid'], 12: ['uid', 'fsuid'], 13: ['uid', 'suid'],
  14: ['auid', 'fsuid'], 15: ['auid', 'suid'], 16: ['auid', 'euid'], 17: ['euid', 'suid'], 18: ['euid', 'fsuid'],
  19: ['suid', 'fsuid'], 20: ['gid', 'egid'], 21: ['gid', 'fsgid'], 22: ['gid', 'sgid'], 23: ['egid', 'fsgid'],
  24: ['egid', 'sgid'], 25: ['sgid', 'fsgid'],
};

function permText(v: number): string {
  return `${v & Perm.READ ? 'r' : ''}${v & Perm.WRITE ? 'w' : ''}${v & Perm.EXEC ? 'x' : ''}${v & Perm.ATTR ? 'a' : ''}`;
}

/** %.*s stops at a NUL byte */
const cstr = (s: string | undefined): string => {
  const v = s ?? '';
  const nul = v.indexOf('\0');
  return nul >= 0 ? v.slice(0, nul) : v;
};

function fieldText(f: RuleField, watch: boolean): string {
  const spec = fieldByNumber(f.field);
  const sym = operatorSymbol(f.op);
  if (sym === undefined) {
    throw new RuleDataError(`field type ${f.field} has operator bits 0x${f.op.toString(16)}, which are no operator`, 0);
  }
  if (!spec) return ` f${f.field}${sym}${signed(f.value)}`;
  const name = spec.name;
  const field = f.field;
  if (field === F.MSGTYPE) {
    const t = msgTypeName(signed(f.value));
    return ` -F ${name}${sym}${t ?? signed(f.value)}`;
  }
  if (field >= F.SUBJ_USER && field <= F.OBJ_LEV_HIGH && field !== F.PPID) return ` -F ${name}${sym}${cstr(f.str)}`;
  if (field === F.WATCH) return watch ? `-w ${cstr(f.str)}` : ` -F path=${cstr(f.str)}`;
  if (field === F.DIR) return watch ? `-w ${cstr(f.str)}` : ` -F dir=${cstr(f.str)}`;
  if (field === F.EXE) return ` -F exe=${cstr(f.str)}`;
  if (field === F.FILTERKEY) {
    // strtok on the separator: empty pieces vanish
    return cstr(f.str).split(KEY_SEPARATOR).filter((k) => k !== '')
      .map((k) => (watch ? ` -k ${k}` : ` -F key=${k}`)).join('');
  }
  if (field === F.PERM) return watch ? ` -p ${permText(f.value)}` : ` -F perm=${permText(f.value)}`;
  if (field === F.INODE) return ` -F ${name}${sym}${f.value >>> 0}`;
  if (field === F.FIELD_COMPARE) {
    const c = COMPARE_NAMES[f.value];
    return c ? ` -C ${c[0]}${sym}${c[1]}` : '';
  }
  if (field >= F.ARG0 && field <= F.ARG3) return ` -F ${name}${sym}${hex(f.value)}`;
  if (field === F.EXIT) {
    const v = signed(f.value);
    const e = v < 0 && v !== -0x80000000 ? errnoName(-v) : undefined;
    return e ? ` -F ${name}${sym}-${e}` : ` -F ${name}${sym}${v}`;
  }
  if (field === F.FSTYPE) return ` -F ${name}${sym}${fsTypeName(f.value >>> 0) ?? signed(f.value)}`;
  return ` -F ${name}${sym}${signed(f.value)}`;
}

function archText(f: RuleField): string {
  const sym = orNull(operatorSymbol(f.op));
  if (!machineForElf(f.value >>> 0)) return ` -F arch${sym}${hex(f.value)}`;
  return ` -F arch${sym}${f.value & ARCH_64BIT ? 'b64' : 'b32'}`;
}

function syscallText(r: RuleData, machine: Machine | undefined): string {
  if (noSyscalls(r.flags & FILTER_MASK)) return '';
  if (allSyscalls(r.mask)) return ' -S all';
  const names: string[] = [];
  for (let nr = 0; nr <= MAX_SYSCALL; nr++) {
    if (r.mask[nr >> 5] & (1 << (nr & 31))) names.push((machine && syscallName(nr, machine)) ?? String(nr));
  }
  return names.length ? ` -S ${names.join(',')}` : '';
}

/** Canonical text of a decoded rule, as `auditctl -l` prints it (no trailing newline). */
export function ruleDataToText(r: RuleData): string {
  const watch = isWatch(r);
  let out = '';
  if (!watch) {
    out += `-a ${orNull(ACTION_NAMES.get(r.action))},${orNull(listName(r.flags))}`;
    let elf = 0;
    for (const f of r.fields) {
      if (f.field === F.ARCH) {
        out += archText(f);
        elf = f.value >>> 0;
      }
    }
    out += syscallText(r, elf ? machineForElf(elf) : detectMachine());
  }
  for (const f of r.fields) {
    if (f.field === F.ARCH) continue;
    out += fieldText(f, watch);
  }
  return out;
}

/** Canonical text for a kernel-listed audit_rule_data payload. Throws RuleDataError on bad bytes. */
export function decodeRule(payload: Uint8Array): string {
  return ruleDataToText(decodeRuleData(payload));
}

/** What `auditctl -l` prints for a whole listing (rules in kernel order), "No rules" when empty. */
export function listingText(payloads: Uint8Array[]): string {
  return payloads.length === 0 ? 'No rules' : payloads.map(decodeRule).join('\n');
}
