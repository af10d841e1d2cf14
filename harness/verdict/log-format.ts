// How a daemon's log lines become records. One small interface, so a log format is one object:
// RAW (`type=NAME msg=audit(SEC.MSEC:SERIAL): fields`), ENRICHED (RAW, then 0x1D and the
// interpreted fields, which are dropped: only the raw fields are counted), and whatever else a
// daemon writes (JSON lines) as another entry of FORMATS.
import { readAuditStamp, readAuditStampBytes, type AuditStamp } from '../kernel/audit-stamp.ts';
import { recordTypeNumber } from '../kernel/record-types.ts';

export interface LogRecord {
  /** type name as written: SYSCALL, PATH, UNKNOWN[1599] */
  type: string;
  /** its number, null for a name this table does not know */
  typeNumber: number | null;
  sec: number;
  serial: number;
  /** the record's raw fields (`arch=c000003e syscall=257 ...`) */
  body: string;
}

export interface LogFormat {
  readonly name: string;
  /** one line (without its newline) to a record, or to an event's records (a line per event);
   *  null for a line that is not one */
  parse(line: string): LogRecord | LogRecord[] | null;
  /** set when the lines are RAW audit text (cut at the first 0x1D when `cutAtGS`): the log
   *  reader then reads them from bytes (readRawBytes) and makes no string per line */
  readonly rawLayout?: { readonly cutAtGS: boolean };
}

const GS = '\x1d';

function parseRaw(line: string, cutEnriched: boolean): LogRecord | null {
  if (!line.startsWith('type=')) return null;
  const sp = line.indexOf(' ', 5);
  if (sp < 0 || !line.startsWith(' msg=', sp)) return null;
  const type = line.slice(5, sp);
  const stamp = readAuditStamp(line, sp + 5);
  if (!stamp) return null;
  let body = line.slice(stamp.end);
  if (cutEnriched) {
    const gs = body.indexOf(GS);
    if (gs >= 0) body = body.slice(0, gs);
  }
  return { type, typeNumber: recordTypeNumber(type) ?? null, sec: stamp.sec, serial: stamp.serial, body };
}

export const RAW = { name: 'raw', parse: (line: string): LogRecord | null => parseRaw(line, false), rawLayout: { cutAtGS: false } } satisfies LogFormat;
export const ENRICHED = { name: 'enriched', parse: (line: string): LogRecord | null => parseRaw(line, true), rawLayout: { cutAtGS: true } } satisfies LogFormat;

/** A RAW line read in place: the record's fields are bytes [bodyStart, bodyEnd) of `buf`. */
export interface RawRecordView {
  type: string;
  typeNumber: number | null;
  sec: number;
  serial: number;
  buf: Uint8Array;
  bodyStart: number;
  bodyEnd: number;
}

export function rawRecordView(): RawRecordView {
  return { type: '', typeNumber: null, sec: 0, serial: 0, buf: new Uint8Array(0), bodyStart: 0, bodyEnd: 0 };
}

const TYPE_OPEN = Buffer.from('type=');
const MSG_OPEN = Buffer.from(' msg=');
const stampScratch: AuditStamp = { sec: 0, msec: 0, serial: 0, end: 0 };

/**
 * parseRaw on the bytes [start, end) of a line, into `out`, making no string (type names are
 * interned). True when it read the line as parseRaw reads its text. False for anything it does
 * not read (a malformed line, a type name not in printable ASCII): the caller then decodes the
 * line and gives it to parse(), which has the last word, so the two never disagree.
 */
export function readRawBytes(buf: Uint8Array, start: number, end: number, cutAtGS: boolean, out: RawRecordView): boolean {
  if (end - start < TYPE_OPEN.length) return false;
  for (let k = 0; k < TYPE_OPEN.length; k++) if (buf[start + k] !== TYPE_OPEN[k]) return false;
  const t0 = start + TYPE_OPEN.length;
  let sp = t0;
  while (sp < end && buf[sp]! > 0x20 && buf[sp]! < 0x7f) sp++;
  if (sp === t0 || sp + MSG_OPEN.length > end || buf[sp] !== 0x20) return false;
  for (let k = 1; k < MSG_OPEN.length; k++) if (buf[sp + k] !== MSG_OPEN[k]) return false;
  if (!readAuditStampBytes(buf, sp + MSG_OPEN.length, end, stampScratch)) return false;
  const name = typeNames.get(buf, t0, sp);
  out.type = name.name;
  out.typeNumber = name.number;
  out.sec = stampScratch.sec;
  out.serial = stampScratch.serial;
  out.buf = buf;
  out.bodyStart = stampScratch.end;
  let bodyEnd = end;
  if (cutAtGS) for (let i = stampScratch.end; i < end; i++) if (buf[i] === 0x1d) { bodyEnd = i; break; }
  out.bodyEnd = bodyEnd;
  return true;
}

interface TypeName { bytes: Uint8Array; name: string; number: number | null }

/** Type names by their bytes (printable ASCII): a log has a few dozen, read millions of times. */
class TypeNames {
  private readonly byHash = new Map<number, TypeName[]>();
  private size = 0;

  get(buf: Uint8Array, start: number, end: number): TypeName {
    let h = end - start;
    for (let i = start; i < end; i++) h = (Math.imul(h, 31) + buf[i]!) | 0;
    const bucket = this.byHash.get(h);
    if (bucket) {
      for (const e of bucket) if (sameBytes(e.bytes, buf, start, end)) return e;
    }
    const name = Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');
    const e: TypeName = { bytes: Uint8Array.from(buf.subarray(start, end)), name, number: recordTypeNumber(name) ?? null };
    // UNKNOWN[n] names are bounded by the type numbers, but a log could hold any text here
    if (this.size < 4096) {
      if (bucket) bucket.push(e);
      else this.byHash.set(h, [e]);
      this.size++;
    }
    return e;
  }
}

function sameBytes(a: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== buf[start + k]) return false;
  return true;
}

const typeNames = new TypeNames();

export const FORMATS: Record<string, LogFormat> = { raw: RAW, enriched: ENRICHED };
// JSON lines need the daemon's field names: log-format-json.ts (daemon.log_format json)

/** The format for a daemon's `log_format` setting (case-insensitive); ENRICHED reads RAW too. */
export function logFormat(name: string | null | undefined): LogFormat {
  if (!name) return ENRICHED;
  const f = FORMATS[name.toLowerCase()];
  if (!f) throw new Error(`log format '${name}' is not one auditstorm reads (known: ${Object.keys(FORMATS).join(', ')})`);
  return f;
}
