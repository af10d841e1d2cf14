// How a daemon's log lines become records. One small interface, so a log format is one object:
// RAW (`type=NAME msg=audit(SEC.MSEC:SERIAL): fields`), ENRICHED (RAW, then 0x1D and the
// interpreted fields, which are dropped: only the raw fields are counted), and whatever else a
// daemon writes (JSON lines) as another entry of FORMATS.
import { readAuditStamp } from '../kernel/audit-stamp.ts';
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

export const RAW = { name: 'raw', parse: (line: string): LogRecord | null => parseRaw(line, false) } satisfies LogFormat;
export const ENRICHED = { name: 'enriched', parse: (line: string): LogRecord | null => parseRaw(line, true) } satisfies LogFormat;

export const FORMATS: Record<string, LogFormat> = { raw: RAW, enriched: ENRICHED };
// JSON lines need the daemon's field names: log-format-json.ts (daemon.log_format json)

/** The format for a daemon's `log_format` setting (case-insensitive); ENRICHED reads RAW too. */
export function logFormat(name: string | null | undefined): LogFormat {
  if (!name) return ENRICHED;
  const f = FORMATS[name.toLowerCase()];
  if (!f) throw new Error(`log format '${name}' is not one auditstorm reads (known: ${Object.keys(FORMATS).join(', ')})`);
  return f;
}
