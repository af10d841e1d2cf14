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
