// The stamp every audit record carries, `audit(SEC.MSEC:SERIAL)`, and its fields, read by index
// rather than by regular expression: log and kernel-log lines can be long (ENRICHED suffixes,
// EXECVE arguments), and a scan that backtracks on them would cost more than the whole count.

export interface AuditStamp {
  sec: number;
  msec: number;
  serial: number;
  /** index just past `): ` (or past `)` at the line's end): where the record's fields start */
  end: number;
}

/** Read `audit(SEC.MSEC:SERIAL): ` at `pos` of `line`; null if it is not there. */
export function readAuditStamp(line: string, pos: number): AuditStamp | null {
  if (!line.startsWith('audit(', pos)) return null;
  let i = pos + 6;
  const sec = readInt(line, i);
  if (!sec || line.charCodeAt(sec.end) !== 0x2e /* . */) return null;
  const msec = readInt(line, sec.end + 1);
  if (!msec || line.charCodeAt(msec.end) !== 0x3a /* : */) return null;
  const serial = readInt(line, msec.end + 1);
  if (!serial || line.charCodeAt(serial.end) !== 0x29 /* ) */) return null;
  i = serial.end + 1;
  if (line.charCodeAt(i) === 0x3a) i++;
  if (line.charCodeAt(i) === 0x20) i++;
  return { sec: sec.value, msec: msec.value, serial: serial.value, end: i };
}

function readInt(s: string, start: number): { value: number; end: number } | null {
  let i = start;
  let v = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + (c - 0x30);
    i++;
    if (i - start > 15) return null;
  }
  return i === start ? null : { value: v, end: i };
}

/** The value of `key=` among a record's fields (the first one, at a field boundary), up to the
 *  next space; null if absent. Quotes are kept. */
export function fieldValue(body: string, key: string): string | null {
  const needle = `${key}=`;
  let at = body.startsWith(needle) ? 0 : -1;
  if (at < 0) {
    const i = body.indexOf(` ${needle}`);
    if (i < 0) return null;
    at = i + 1;
  }
  const start = at + needle.length;
  const sp = body.indexOf(' ', start);
  return body.slice(start, sp < 0 ? undefined : sp);
}

// The same readings on bytes (a log line in the read buffer, [start, end)), for the log reader:
// it makes no string per line. They agree with the string forms on every line whose bytes
// decode to that string (the keys, digits and separators are ASCII, never inside a UTF-8
// sequence).

const AUDIT_OPEN = Buffer.from('audit(');

/** readAuditStamp on bytes, into `out` (no allocation); false if the stamp is not there. */
export function readAuditStampBytes(buf: Uint8Array, pos: number, end: number, out: AuditStamp): boolean {
  if (pos + AUDIT_OPEN.length > end) return false;
  for (let k = 0; k < AUDIT_OPEN.length; k++) if (buf[pos + k] !== AUDIT_OPEN[k]) return false;
  let i = pos + AUDIT_OPEN.length;
  // three integers, ended by '.', ':' and ')'
  let v = 0, start = i;
  while (i < end && buf[i]! >= 0x30 && buf[i]! <= 0x39) { v = v * 10 + buf[i]! - 0x30; if (++i - start > 15) return false; }
  if (i === start || i >= end || buf[i] !== 0x2e) return false;
  out.sec = v;
  v = 0; start = ++i;
  while (i < end && buf[i]! >= 0x30 && buf[i]! <= 0x39) { v = v * 10 + buf[i]! - 0x30; if (++i - start > 15) return false; }
  if (i === start || i >= end || buf[i] !== 0x3a) return false;
  out.msec = v;
  v = 0; start = ++i;
  while (i < end && buf[i]! >= 0x30 && buf[i]! <= 0x39) { v = v * 10 + buf[i]! - 0x30; if (++i - start > 15) return false; }
  if (i === start || i >= end || buf[i] !== 0x29) return false;
  out.serial = v;
  i++;
  if (i < end && buf[i] === 0x3a) i++;
  if (i < end && buf[i] === 0x20) i++;
  out.end = i;
  return true;
}

/** fieldValue on bytes: where the value of `needle` (the key with its `=`, as bytes) starts
 *  among the fields in [start, end), or -1. The value runs to fieldValueEnd. */
export function fieldValueStart(buf: Uint8Array, start: number, end: number, needle: Uint8Array): number {
  const n = needle.length;
  const first = needle[0];
  for (let i = start; i + n <= end; i++) {
    if (buf[i] !== first || (i > start && buf[i - 1] !== 0x20)) continue;
    let k = 1;
    while (k < n && buf[i + k] === needle[k]) k++;
    if (k === n) return i + n;
  }
  return -1;
}

/** where a value starting at `from` ends: the next space, or `end` */
export function fieldValueEnd(buf: Uint8Array, from: number, end: number): number {
  let i = from;
  while (i < end && buf[i] !== 0x20) i++;
  return i;
}
