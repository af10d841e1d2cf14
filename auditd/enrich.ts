// log_format = ENRICHED, as auditd 3.0.x writes it (src/auditd-event.c format_enrich): the RAW
// line, then, if any field of the record is one auditd interprets, 0x1D (GS) and the
// interpretations, space-separated, each as the field's name in upper case:
//   uid/gid fields          AUID="alice" UID="root" OGID="unknown(4242)" (quoted; hex if the
//                           name holds a quote, a control, a space, 0x7F or a byte >= 0x80)
//   arch, syscall, saddr    ARCH=x86_64 SYSCALL=openat SADDR={ saddr_fam=inet laddr=... }
// The fields are found the way auparse splits a record (ellist.c parse_up_record): tokens between
// spaces, `msg=audit(` dropped, an inner `msg='` peeled, trailing `:` `,` `'` `)` cut from a
// value, the record's machine and syscall number taken from their fixed positions (2 and 3, or
// 11 and 12 in SECCOMP). Which names are which kind is auparse's typetab.h plus its per-record
// corrections (auparse_interp_adjust_type). The line is limited as auditd limits it: a field is
// added only while more than 24 bytes of its 9225-byte buffer are left and the whole field fits,
// and the result is cut at 8969 bytes.
//
// Hot path: the record is scanned as bytes (no string per token); a field's name is matched by a
// rolling hash checked against its bytes, and only the few interpreted values become strings.
// Names come from IdNameSource (parsed files, cached); syscall tables load on first use.
import { readFileSync } from 'node:fs';
import { packageFile } from '../lib/paths.ts';
import { fileIdNames, type IdNameSource } from './id-names.ts';

export const GS = '\x1d';
/** FORMAT_BUF_LEN: MAX_AUDIT_MESSAGE_LENGTH (8970) + _POSIX_HOST_NAME_MAX (255) */
const FORMAT_BUF_LEN = 8970 + 255;
const MIN_SPACE_LEFT = 24;
/** replace_event_msg keeps at most MAX_AUDIT_MESSAGE_LENGTH - 1 bytes */
export const MAX_ENRICHED_LINE_BYTES = 8970 - 1;

// auparse field kinds that auditd's format_enrich writes
const K_NONE = 0;
const K_UID = 1;
const K_GID = 2;
const K_SYSCALL = 3;
const K_ARCH = 4;
const K_SOCKADDR = 5;
// names that matter for parsing only
const N_TYPE = 10;
const N_KEY = 12;
const N_A0 = 13;
const N_ID = 14;
const N_NODE = 15;

const UID_NAMES = ['auid', 'uid', 'euid', 'suid', 'fsuid', 'ouid', 'oauid', 'old-auid', 'iuid', 'inode_uid', 'sauid', 'obj_uid'];
const GID_NAMES = ['obj_gid', 'gid', 'egid', 'sgid', 'fsgid', 'ogid', 'igid', 'inode_gid', 'new_gid'];

// record types with their own rules (libaudit.h)
const AUDIT_USER_AVC = 1107;
const AUDIT_ADD_USER = 1114;
const AUDIT_DEL_USER = 1115;
const AUDIT_ADD_GROUP = 1116;
const AUDIT_DEL_GROUP = 1117;
const AUDIT_TRUSTED_APP = 1121;
const AUDIT_USER_MGMT = 1126;
const AUDIT_GRP_MGMT = 1132;
const AUDIT_NETFILTER_PKT = 1324;
const AUDIT_AVC = 1400;

/** a field name auparse knows; `index` numbers the entries (per-Enricher caches are arrays by it) */
interface NameEntry { bytes: Buffer; kind: number; upper: string; index: number }

const hashOf = (b: Buffer | string): number => {
  let h = 0;
  for (let i = 0; i < b.length; i++) h = (Math.imul(h, 31) + (typeof b === 'string' ? b.charCodeAt(i) : b[i])) | 0;
  return h;
};

const NAMES = new Map<number, NameEntry[]>();
let nameCount = 0;
function addName(name: string, kind: number): void {
  const e: NameEntry = { bytes: Buffer.from(name, 'latin1'), kind, upper: name.toUpperCase().slice(0, 63), index: nameCount++ };
  const h = hashOf(name);
  const list = NAMES.get(h);
  if (list) list.push(e);
  else NAMES.set(h, [e]);
}
for (const n of UID_NAMES) addName(n, K_UID);
for (const n of GID_NAMES) addName(n, K_GID);
addName('syscall', K_SYSCALL);
addName('arch', K_ARCH);
addName('saddr', K_SOCKADDR);
addName('type', N_TYPE);
addName('key', N_KEY);
addName('a0', N_A0);
addName('id', N_ID);
addName('node', N_NODE);

function lookupName(buf: Buffer, s: number, e: number, h: number): NameEntry | null {
  const list = NAMES.get(h);
  if (list === undefined) return null;
  for (const entry of list) {
    const b = entry.bytes;
    if (b.length !== e - s) continue;
    let i = 0;
    while (i < b.length && b[i] === buf[s + i]) i++;
    if (i === b.length) return entry;
  }
  return null;
}

// ---- machines and syscall names (libaudit's elftab, machinetab; auparse socktab, ipctab) ----

const MACH_X86 = 0;
const MACH_86_64 = 1;
const MACH_AARCH64 = 9;
const ELF_TO_MACHINE = new Map<number, number>([
  [0x40000003, MACH_X86], [0xc000003e, MACH_86_64], [0x80000015, 3 /* ppc64 */], [0xc0000015, 10 /* ppc64le */],
  [0x14, 4 /* ppc */], [0x80000016, 5 /* s390x */], [0x16, 6 /* s390 */], [0x40000028, 8 /* arm */], [0xc00000b7, MACH_AARCH64],
]);
// machine_i2s: the first name machinetab.h lists for a machine (none for ia64 and alpha)
const MACHINE_NAMES = ['i386', 'x86_64', undefined, 'ppc64', 'ppc', 's390x', 's390', undefined, 'armeb', 'aarch64', 'ppc64le'];
const SOCKETCALLS = [undefined, 'socket', 'bind', 'connect', 'listen', 'accept', 'getsockname', 'getpeername', 'socketpair',
  'send', 'recv', 'sendto', 'recvfrom', 'shutdown', 'setsockopt', 'getsockopt', 'sendmsg', 'recvmsg', 'accept4', 'recvmmsg', 'sendmmsg'];
const IPCCALLS = new Map<number, string>([[1, 'semop'], [2, 'semget'], [3, 'semctl'], [4, 'semtimedop'], [11, 'msgsnd'], [12, 'msgrcv'],
  [13, 'msgget'], [14, 'msgctl'], [21, 'shmat'], [22, 'shmdt'], [23, 'shmget'], [24, 'shmctl']]);

/** Syscall number -> name for the machines the project has tables for (x86_64, i386), read on first use. */
export type SyscallNamer = (nr: number, machine: number) => string | undefined;

function tableLoader(file: string): () => Map<number, string> {
  let m: Map<number, string> | undefined;
  return () => {
    if (m === undefined) {
      m = new Map();
      // the project's syscall tables, generated from Debian's `ausyscall --dump` (shared data)
      const raw = JSON.parse(readFileSync(packageFile(`harness/rules/data/${file}`), 'utf8')) as { entries: Array<[number, string]> };
      for (const [n, name] of raw.entries) if (!m.has(n)) m.set(n, name);
    }
    return m;
  };
}
const x86_64 = tableLoader('syscalls-x86_64.json');
const i386 = tableLoader('syscalls-i386.json');
export const projectSyscallNames: SyscallNamer = (nr, machine) =>
  machine === MACH_86_64 ? x86_64().get(nr) : machine === MACH_X86 ? i386().get(nr) : undefined;

/** The machine auditd would detect here (uname): the project runs on x86_64 kernels. */
const DETECTED_MACHINE = process.arch === 'ia32' ? MACH_X86 : MACH_86_64;

// ---- value parsing as strtoul/strtoull would ----

/** strtoul(s, NULL, base) as C on LP64 does it, or null on ERANGE. Leading blanks and a sign allowed. */
function strtoul(buf: Buffer, s: number, e: number, base: 10 | 16): bigint | null {
  let i = s;
  while (i < e && (buf[i] === 0x20 || (buf[i] >= 0x09 && buf[i] <= 0x0d))) i++;
  let neg = false;
  if (i < e && (buf[i] === 0x2b || buf[i] === 0x2d)) { neg = buf[i] === 0x2d; i++; }
  if (base === 16 && i + 1 < e && buf[i] === 0x30 && (buf[i + 1] | 0x20) === 0x78 && i + 2 < e && hexVal(buf[i + 2]) >= 0) i += 2;
  let v = 0n;
  let any = false;
  const B = BigInt(base);
  for (; i < e; i++) {
    const d = base === 10 ? (buf[i] >= 0x30 && buf[i] <= 0x39 ? buf[i] - 0x30 : -1) : hexVal(buf[i]);
    if (d < 0) break;
    v = v * B + BigInt(d);
    any = true;
    if (v > 0xffffffffffffffffn) return null;
  }
  if (!any) return 0n;
  return neg ? (0x10000000000000000n - v) & 0xffffffffffffffffn : v;
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** strtoul for the usual case (at most 8 hex or 9 decimal digits, nothing else) without BigInt */
function smallNumber(buf: Buffer, s: number, e: number, base: 10 | 16): number | -1 {
  const len = e - s;
  if (len <= 0 || len > (base === 16 ? 8 : 9)) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = base === 10 ? (buf[i] >= 0x30 && buf[i] <= 0x39 ? buf[i] - 0x30 : -1) : hexVal(buf[i]);
    if (d < 0) return -1;
    v = v * base + d;
  }
  return v;
}

/** The int a uid/gid field becomes (strtoul into an int); fast for plain decimal. null: ERANGE. */
function idValue(buf: Buffer, s: number, e: number): number | null {
  if (e - s > 0 && e - s <= 15) {
    // exact in a double; `| 0` is the C cast to int (modulo 2^32)
    let v = 0;
    let i = s;
    for (; i < e; i++) {
      const c = buf[i];
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
    }
    if (i === e) return v | 0;
  }
  const v = strtoul(buf, s, e, 10);
  return v === null ? null : Number(BigInt.asIntN(32, v));
}

// ---- the values, as auparse's interpret.c prints them ----

/** audit_encode_nv_string's test: a value that is not written in quotes but as hex */
function needsEncoding(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x22 || c < 0x21 || c >= 0x7f) return true;
  }
  return false;
}

function encodeValue(v: string): string {
  if (!needsEncoding(v)) return `"${v}"`;
  return Buffer.from(v, 'latin1').toString('hex').toUpperCase();
}

const FAMILIES = new Map<number, string>([
  [1, 'local'], [2, 'inet'], [3, 'ax25'], [4, 'ipx'], [5, 'appletalk'], [6, 'netrom'], [7, 'bridge'], [8, 'atmpvc'],
  [9, 'x25'], [10, 'inet6'], [11, 'rose'], [12, 'decnet'], [13, 'netbeui'], [14, 'security'], [15, 'key'],
  [16, 'netlink'], [17, 'packet'], [18, 'ash'], [19, 'econet'], [20, 'atmsvc'], [21, 'rds'], [22, 'sna'], [23, 'irda'],
  [24, 'pppox'], [25, 'wanpipe'], [26, 'llc'], [29, 'can'], [30, 'tipc'], [31, 'bluetooth'], [32, 'iucv'],
  [33, 'rxrpc'], [34, 'isdn'], [35, 'phonet'], [36, 'ieee802154'], [37, 'caif'], [38, 'alg'], [39, 'nfc'],
  [40, 'vsock'], [41, 'kcm'], [42, 'qipcrtr'], [43, 'smc'], [44, 'xdp'],
]);

/** C string (latin1) from bytes, up to a NUL or max bytes */
function cString(b: Buffer, start: number, max: number): string {
  let end = start;
  const lim = Math.min(b.length, start + max);
  while (end < lim && b[end] !== 0) end++;
  return b.toString('latin1', start, end);
}

/** inet_ntop(AF_INET6) as glibc writes it: longest run of two or more zero words as ::, IPv4 tail for ::a.b.c.d and ::ffff:a.b.c.d */
export function ipv6Text(b: Buffer, off: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(b.readUInt16BE(off + 2 * i));
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) best = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best >= 0 && i >= best && i < best + bestLen) {
      if (i === best) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += `${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
      break;
    }
    out += w[i].toString(16);
  }
  if (best >= 0 && best + bestLen === 8) out += ':';
  return out;
}

/** print_sockaddr: the hex value of a saddr field, decoded */
export function sockaddrText(val: string): string {
  // au_unescape: the leading run of hex digits, two at a time
  let n = 0;
  while (n < val.length && hexVal(val.charCodeAt(n)) >= 0) n++;
  if (n < 2) return `malformed-host(${val})`;
  const slen = Math.floor(val.length / 2);
  const b = Buffer.from(val.slice(0, n - (n % 2)), 'hex');
  // the decoded buffer is NUL terminated and sized for the whole value: reads past it see zeros
  const raw = Buffer.alloc(Math.max(b.length + 1, 128));
  b.copy(raw);
  const fam = raw.readUInt16LE(0);
  const str = FAMILIES.get(fam);
  if (str === undefined) return `unknown-family(${fam})`;
  switch (fam) {
    case 1: // AF_LOCAL
      if (slen < 4) return `{ saddr_fam=${str} sockaddr len too short }`;
      return `{ saddr_fam=${str} path=${raw[2] !== 0 ? cString(raw, 2, 108) : cString(raw, 3, 108)} }`;
    case 2: // AF_INET
      if (slen < 16) return `{ saddr_fam=${str} sockaddr len too short }`;
      return `{ saddr_fam=${str} laddr=${raw[4]}.${raw[5]}.${raw[6]}.${raw[7]} lport=${raw.readUInt16BE(2)} }`;
    case 3: { // AF_AX25: seven %c, where a NUL ends the C string
      let call = '';
      for (let i = 0; i < 7; i++) {
        if (raw[2 + i] === 0) return `{ saddr_fam=${str} call=${call}`;
        call += String.fromCharCode(raw[2 + i]);
      }
      return `{ saddr_fam=${str} call=${call} }`;
    }
    case 8: return `{ saddr_fam=${str} int=${raw[2]} }`; // AF_ATMPVC
    case 9: return `{ saddr_fam=${str} laddr=${cString(raw, 2, 15)} }`; // AF_X25
    case 10: { // AF_INET6
      if (slen < 28) return `{ saddr_fam=${str} sockaddr6 len too short }`;
      const scope = raw.readUInt32LE(24);
      return `{ saddr_fam=${str} laddr=${ipv6Text(raw, 8)}${scope !== 0 ? `%${scope}` : ''} lport=${raw.readUInt16BE(2)} }`;
    }
    case 16: // AF_NETLINK
      if (slen < 12) return `{ saddr_fam=${str} len too short }`;
      return `{ saddr_fam=${str} nlnk-fam=${fam} nlnk-pid=${raw.readUInt32LE(4)} }`;
    default:
      return `{ saddr_fam=${str} (unsupported) }`;
  }
}

function archText(val: string, machine: number): string {
  let m = machine;
  if (m < 0 || m > MACH_AARCH64) {
    const b = Buffer.from(val, 'latin1');
    const v = strtoul(b, 0, b.length, 16);
    if (v === null) return `conversion error(${val}) `;
    m = ELF_TO_MACHINE.get(Number(v & 0xffffffffn)) ?? -1;
  }
  if (m < 0) return `unknown-elf-type(${val})`;
  return MACHINE_NAMES[m] ?? `unknown-machine-type(${m})`;
}

export interface EnricherOptions {
  names?: IdNameSource;
  syscalls?: SyscallNamer;
  /** at most this many distinct id -> quoted-name strings are kept (each kind); default 4096 */
  cacheEntries?: number;
}

interface Field { kind: number; upper: string; index: number; s: number; e: number }

/** Turns a RAW line into the ENRICHED suffix auditd would append to it. One per daemon. */
export class Enricher {
  private readonly names: IdNameSource;
  private readonly syscalls: SyscallNamer;
  private readonly cacheEntries: number;
  private readonly uidCache = new Map<number, string>();
  private readonly gidCache = new Map<number, string>();
  private readonly syscallCache = new Map<number, string>();
  private namesVersion = -1;
  private readonly idPieces: Array<Map<number, string> | undefined> = [];
  // scratch, reused per record
  private readonly fields: Field[] = [];

  constructor(o: EnricherOptions = {}) {
    this.names = o.names ?? fileIdNames();
    this.syscalls = o.syscalls ?? projectSyscallNames;
    this.cacheEntries = o.cacheEntries ?? 4096;
  }

  /**
   * The suffix (GS and the interpreted fields, latin1: one char per byte) for the record of
   * `type` whose RAW line is `lineLen` bytes long and whose kernel text, as it went into the
   * line, is text[0..n) (the line's newlines become spaces; a GS ends what auparse sees).
   * '' when nothing is interpreted. The caller caps the line at MAX_ENRICHED_LINE_BYTES.
   */
  suffix(type: number, text: Buffer, n: number, lineLen: number): string {
    let len = FORMAT_BUF_LEN - lineLen;
    if (len <= MIN_SPACE_LEFT) return '';
    if (type === AUDIT_ADD_USER || type === AUDIT_ADD_GROUP) this.accountsChanged();
    const st = this.scan(type, text, n);
    if (type === AUDIT_USER_MGMT || type === AUDIT_DEL_USER || type === AUDIT_DEL_GROUP || type === AUDIT_GRP_MGMT) this.accountsChanged();
    if (st.count === 0) return '';
    const v = this.names.version();
    if (v !== this.namesVersion) { this.clearNames(); this.namesVersion = v; }
    let out = '';
    let sep = 0;
    for (let i = 0; i < st.count && len > MIN_SPACE_LEFT; i++) {
      const f = this.fields[i];
      if (sep === 0) { out += GS; sep = 1; len--; } else sep++;
      const piece = this.piece(f, text, st);
      // add_simple_field: room for a space, the field and a NUL, or nothing
      if (piece.length + 2 >= len) continue;
      if (sep > 1) { out += ' '; len--; }
      out += piece;
      len -= piece.length;
    }
    return out;
  }

  private accountsChanged(): void {
    this.clearNames();
    this.names.accountsChanged();
  }

  private clearNames(): void {
    this.uidCache.clear();
    this.gidCache.clear();
    for (const c of this.idPieces) c?.clear();
  }

  /** `NAME=value`; for uid and gid fields cached by field and id (most records repeat a few ids) */
  private piece(f: Field, text: Buffer, st: ScanState): string {
    if (f.kind !== K_UID && f.kind !== K_GID) return `${f.upper}=${this.value(f, text, st)}`;
    const id = idValue(text, f.s, f.e);
    let cache = this.idPieces[f.index];
    if (cache === undefined) this.idPieces[f.index] = cache = new Map();
    if (id !== null) {
      const hit = cache.get(id | 0);
      if (hit !== undefined) return hit;
    }
    const p = `${f.upper}=${this.value(f, text, st)}`;
    if (id !== null) {
      if (cache.size >= this.cacheEntries) cache.clear();
      cache.set(id | 0, p);
    }
    return p;
  }

  private value(f: Field, text: Buffer, st: ScanState): string {
    switch (f.kind) {
      case K_UID: return this.idText(text, f, this.uidCache, (id) => this.names.user(id));
      case K_GID: return this.idText(text, f, this.gidCache, (id) => this.names.group(id));
      case K_ARCH: return st.machine >= 0 && st.machine <= MACH_AARCH64 && MACHINE_NAMES[st.machine] !== undefined
        ? MACHINE_NAMES[st.machine]! : archText(text.toString('latin1', f.s, f.e), st.machine);
      case K_SYSCALL: return this.syscallText(text, st);
      default: return sockaddrText(text.toString('latin1', f.s, f.e));
    }
  }

  private idText(text: Buffer, f: Field, cache: Map<number, string>, lookup: (id: number) => string | null): string {
    const id = idValue(text, f.s, f.e);
    if (id === null) return encodeValue(`conversion error(${text.toString('latin1', f.s, f.e)})`);
    // the int the value became: -1 is unset, 0 is root without a lookup, others by name
    const signed = id | 0;
    let v = cache.get(signed);
    if (v !== undefined) return v;
    let name: string;
    if (signed === -1) name = 'unset';
    else if (signed === 0) name = 'root';
    else name = lookup(signed >>> 0) ?? `unknown(${signed})`;
    v = encodeValue(name);
    if (cache.size >= this.cacheEntries) cache.clear();
    cache.set(signed, v);
    return v;
  }

  private syscallText(text: Buffer, st: ScanState): string {
    const machine = st.machine < 0 ? DETECTED_MACHINE : st.machine;
    const nr = st.syscall;
    const key = machine * 0x10000 + nr;
    const cached = machine === MACH_86_64 ? this.syscallCache.get(key) : undefined;
    if (cached !== undefined) return cached;
    const sys = this.syscalls(nr, machine);
    let out: string;
    if (sys === undefined) out = `unknown-syscall(${nr})`;
    else {
      let func: string | undefined;
      let a0 = 0n;
      if (st.a0s >= 0) {
        const v = strtoul(text, st.a0s, st.a0e, 16);
        a0 = v === null ? -1n : BigInt.asIntN(64, v);
      }
      const smallA0 = a0 >= -0x80000000n && a0 <= 0x7fffffffn ? Number(a0) : null;
      if (sys === 'socketcall' && smallA0 !== null) func = SOCKETCALLS[smallA0];
      else if (sys === 'ipc' && smallA0 !== null) func = IPCCALLS.get(smallA0);
      out = func ? `${sys}(${func})` : sys;
    }
    // x86_64 has no socketcall/ipc: its names depend on the number alone
    if (machine === MACH_86_64 && nr >= 0 && nr < 0x10000) this.syscallCache.set(key, out);
    return out;
  }

  /** auparse's split of the record into fields, keeping the interpreted ones (in order). */
  private scan(type: number, text: Buffer, n: number): ScanState {
    const st: ScanState = { count: 0, machine: -1, syscall: -1, a0s: -1, a0e: -1 };
    // the line's first token, `type=NAME`, is field 1; `msg=` is glued to the text's first token
    let cnt = 1;
    let end = text.indexOf(0x1d);
    if (end < 0 || end > n) end = n;
    const avc = type === AUDIT_AVC || type === AUDIT_USER_AVC;
    let i = 0;
    // `msg=` followed by a space is an empty field, which auparse skips
    let first = n > 0 && text[0] !== 0x20 && text[0] !== 0x0a;
    while (i < end) {
      while (i < end && (text[i] === 0x20 || text[i] === 0x0a)) i++;
      if (i >= end) break;
      let s = i;
      // find the token's end, its first '=' and the hash of the name before it
      let q = -1;
      let h = 0;
      while (i < end && text[i] !== 0x20 && text[i] !== 0x0a) {
        if (text[i] === 0x3d) { q = i; break; }
        h = (Math.imul(h, 31) + text[i]) | 0;
        i++;
      }
      // the value: a byte loop (Buffer#indexOf costs more than the few bytes of a value)
      if (q >= 0) while (i < end && text[i] !== 0x20 && text[i] !== 0x0a) i++;
      const e = i;
      let nameStart = s;
      let nameEnd = q;
      if (first) {
        // `msg=` + this token: dropped when it starts with 'a' (audit(...):), peeled when `'`
        first = false;
        if (text[s] === 0x61) continue;
        if (text[s] === 0x27) {
          s++;
          q = text.indexOf(0x3d, s);
          if (q < 0 || q >= e) continue;
          nameStart = s;
          nameEnd = q;
          h = hashOf(text.subarray(s, q));
        } else {
          // a field named msg whose value is the token
          if (e > s) cnt++;
          continue;
        }
      } else if (q < 0) {
        if (avc) cnt = this.avcToken(text, s, e, end, cnt, (ni) => { i = ni; });
        continue;
      } else if (q - s === 3 && text[s] === 0x6d && text[s + 1] === 0x73 && text[s + 2] === 0x67) {
        if (text[q + 1] === 0x61) continue;
        if (text[q + 1] === 0x27) {
          s = q + 2;
          q = text.indexOf(0x3d, s);
          if (q < 0 || q >= e) continue;
          nameStart = s;
          nameEnd = q;
          h = hashOf(text.subarray(s, q));
        }
      }
      if (text[nameStart] === 0x28) { // '(' before a name is cruft
        nameStart++;
        h = hashOf(text.subarray(nameStart, nameEnd));
      }
      // the value, trailing punctuation cut
      const vs = nameEnd + 1;
      let ve = e;
      if (ve === vs) continue;
      if (ve > vs && text[ve - 1] === 0x3a) ve--;
      if (ve > vs && text[ve - 1] === 0x2c) ve--;
      if (ve > vs && text[ve - 1] === 0x27) ve--;
      if (ve > vs && text[ve - 1] === 0x29 && !isNoneOrNull(text, vs, ve)) ve--;
      const entry = lookupName(text, nameStart, nameEnd, h);
      if (entry !== null && entry.kind === N_KEY && text[vs] !== 0x28) {
        cnt += text[vs] === 0x22 ? 1 : virtualKeyCount(text, vs, ve);
        continue;
      }
      cnt++;
      if (entry === null) continue;
      let kind = entry.kind;
      // positions auparse reads the machine, syscall and a0 from (no node= prefix here)
      if (kind === K_ARCH && (cnt === 2 || cnt === 11)) {
        const small = smallNumber(text, vs, ve, 16);
        if (small >= 0) st.machine = ELF_TO_MACHINE.get(small) ?? -1;
        else {
          const v = strtoul(text, vs, ve, 16);
          st.machine = v === null ? -2 : (ELF_TO_MACHINE.get(Number(v & 0xffffffffn)) ?? -1);
        }
      } else if (kind === K_SYSCALL && (cnt === 3 || cnt === 12)) {
        const small = smallNumber(text, vs, ve, 10);
        if (small >= 0) st.syscall = small;
        else {
          const v = strtoul(text, vs, ve, 10);
          st.syscall = v === null ? -1 : Number(BigInt.asIntN(32, v));
        }
      } else if (kind === N_A0 && cnt === 6) {
        // read only for i386's socketcall and ipc
        st.a0s = vs;
        st.a0e = ve;
      }
      // auparse_interp_adjust_type's corrections that reach these kinds
      if (type === AUDIT_TRUSTED_APP) kind = K_NONE;
      else if (kind === K_SOCKADDR && (type === AUDIT_AVC || type === AUDIT_NETFILTER_PKT)) kind = K_NONE;
      else if (kind === N_ID) kind = type === AUDIT_ADD_GROUP || type === AUDIT_GRP_MGMT || type === AUDIT_DEL_GROUP ? K_GID : K_UID;
      if (kind < K_UID || kind > K_SOCKADDR) continue;
      let f = this.fields[st.count];
      if (f === undefined) { f = { kind, upper: entry.upper, index: entry.index, s: vs, e: ve }; this.fields[st.count] = f; }
      else { f.kind = kind; f.upper = entry.upper; f.index = entry.index; f.s = vs; f.e = ve; }
      st.count++;
    }
    return st;
  }

  /** SELinux AVC text without names: `avc:` skipped, then seresult, then { perms } as seperms. */
  private avcToken(text: Buffer, s: number, e: number, end: number, cnt: number, setI: (i: number) => void): number {
    if (cnt === 1) {
      if (e - s >= 3 && text[s] === 0x61 && text[s + 1] === 0x76 && text[s + 2] === 0x63) return cnt;
      return cnt + 1;
    }
    if (cnt === 2) {
      if (text[s] === 0x7b) {
        // up to the token that starts with '}'
        let i = e;
        for (;;) {
          while (i < end && (text[i] === 0x20 || text[i] === 0x0a)) i++;
          if (i >= end || text[i] === 0x7d) break;
          while (i < end && text[i] !== 0x20 && text[i] !== 0x0a) i++;
        }
        // auparse steps past the closing token too
        while (i < end && text[i] !== 0x20 && text[i] !== 0x0a) i++;
        setI(i);
      }
      return cnt + 1;
    }
    return cnt;
  }
}

/** the record's machine and syscall number as auparse keeps them, and where a0 is (-1: none) */
interface ScanState { count: number; machine: number; syscall: number; a0s: number; a0e: number }

function isNoneOrNull(b: Buffer, s: number, e: number): boolean {
  if (e - s !== 6 || b[s] !== 0x28 || b[s + 1] !== 0x6e || b[s + 5] !== 0x29) return false;
  return (b[s + 2] === 0x6f && b[s + 3] === 0x6e && b[s + 4] === 0x65) || (b[s + 2] === 0x75 && b[s + 3] === 0x6c && b[s + 4] === 0x6c);
}

/** a hex key value: its parts between 0x01 separators, each a `key` field (at least one) */
function virtualKeyCount(b: Buffer, s: number, e: number): number {
  let n = 0;
  while (s + n < e && hexVal(b[s + n]) >= 0) n++;
  if (n < 2) return 1;
  const key = Buffer.from(b.toString('latin1', s, s + n - (n % 2)), 'hex');
  let parts = 0;
  let inPart = false;
  for (const c of key) {
    if (c === 0) break;
    if (c === 1) inPart = false;
    else if (!inPart) { inPart = true; parts++; }
  }
  return Math.max(parts, 0);
}
