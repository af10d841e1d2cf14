// JSON-lines logs (a daemon that writes one JSON object a line) read through the LogFormat
// interface: the field names are the daemon's, so the scenario names them (daemon.json):
//   serial   the event's serial (a number, or "SEC.MSEC:SERIAL" as in msg=audit(...))
//   type     the record type: a number (1300) or a name (SYSCALL)
//   time     seconds since the epoch (a number or "SEC.MSEC"); optional when serial carries it
//   records  optional: an array of the event's records in the line (one event per line);
//            without it, the line is one record
//   body     optional: a field holding the record's raw `key=value ...` text; without it, the
//            record's other scalar fields are its fields (auid, pid, ppid, items, ...)
// Paths are dotted (`event.serial`); serial and time are looked up in the record first, then in
// the line (an event-per-line object carries them once).
import { readAuditStamp } from '../kernel/audit-stamp.ts';
import { recordTypeName, recordTypeNumber } from '../kernel/record-types.ts';
import type { LogFormat, LogRecord } from './log-format.ts';

export interface JsonFields {
  serial: string;
  type: string;
  time?: string;
  records?: string;
  body?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function at(o: unknown, path: string): unknown {
  let v: unknown = o;
  for (const k of path.split('.')) {
    if (!isObj(v)) return undefined;
    v = v[k];
  }
  return v;
}

/** serial (and seconds, when it is an audit stamp) from a field value */
function stampOf(serial: unknown, time: unknown): { sec: number; serial: number } | null {
  if (typeof serial === 'string' && serial.includes(':')) {
    const s = readAuditStamp(serial.startsWith('audit(') ? serial : `audit(${serial})`, 0);
    return s ? { sec: s.sec, serial: s.serial } : null;
  }
  const n = typeof serial === 'number' ? serial : typeof serial === 'string' && /^\d+$/.test(serial) ? Number(serial) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) return null;
  const t = typeof time === 'number' ? time : typeof time === 'string' ? Number.parseFloat(time) : 0;
  return { sec: Number.isFinite(t) ? Math.floor(t) : 0, serial: n };
}

function bodyOf(rec: Obj, f: JsonFields): string {
  if (f.body) {
    const b = at(rec, f.body);
    return typeof b === 'string' ? b : '';
  }
  const skip = new Set([f.serial, f.type, f.time].filter(Boolean) as string[]);
  return Object.entries(rec)
    .filter(([k, v]) => !skip.has(k) && (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean'))
    .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`).join(' ');
}

function recordOf(rec: Obj, line: Obj, f: JsonFields): LogRecord | null {
  const stamp = stampOf(at(rec, f.serial) ?? at(line, f.serial), f.time ? at(rec, f.time) ?? at(line, f.time) : undefined);
  if (!stamp) return null;
  const t = at(rec, f.type);
  let type: string | null = null;
  let typeNumber: number | null = null;
  if (typeof t === 'number' && Number.isInteger(t)) {
    typeNumber = t;
    type = recordTypeName(t);
  } else if (typeof t === 'string' && /^\d+$/.test(t)) {
    typeNumber = Number(t);
    type = recordTypeName(typeNumber);
  } else if (typeof t === 'string' && t) {
    type = t;
    typeNumber = recordTypeNumber(t) ?? null;
  }
  if (!type) return null;
  return { type, typeNumber, sec: stamp.sec, serial: stamp.serial, body: bodyOf(rec, f) };
}

export function jsonLinesFormat(f: JsonFields): LogFormat {
  return {
    name: 'json',
    parse(line: string): LogRecord | LogRecord[] | null {
      let o: unknown;
      try { o = JSON.parse(line); } catch { return null; }
      if (!isObj(o)) return null;
      if (!f.records) return recordOf(o, o, f);
      const list = at(o, f.records);
      if (!Array.isArray(list)) return null;
      const out: LogRecord[] = [];
      for (const r of list) {
        const rec = isObj(r) ? recordOf(r, o, f) : null;
        if (!rec) return null; // a line read in part would count a partial event as whole
        out.push(rec);
      }
      return out;
    },
  };
}
