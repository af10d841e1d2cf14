// Record -> text line, as auditd 3.x writes RAW logs and feeds string-format plugins.
//
//   log:    `type=NAME msg=<kernel text>\n`  (auditd format_raw + fprintf "%s\n")
//   plugin: `type=NAME msg=<kernel text>\n`  (audispd "type=%s msg=%.*s\n")
//
// Kernel text already starts with `audit(SEC.MSEC:SERIAL): `. Like auditd we stop at an embedded
// NUL (%.*s), turn embedded newlines into spaces (a record must stay one line for ausearch),
// cap the line at auditd's buffer size, and for the log trim one trailing space. EOE (1320) is
// left out of the log; plugins receive it (auditd dispatches every record).
//
// Hot path: a whole batch is formatted into one Buffer with one allocation; per-type prefixes
// (`type=NAME msg=`) are cached as Buffers so nothing is built from strings per record.

import type { AuditRecord } from './types.ts';
import { recordTypeName } from '../harness/kernel/record-types.ts';
import { MAX_ENRICHED_LINE_BYTES, type Enricher } from './enrich.ts';

export const AUDIT_EOE = 1320;
/** libaudit's MAX_AUDIT_MESSAGE_LENGTH; auditd formats into MAX-32 bytes including the NUL. */
const MAX_AUDIT_MESSAGE_LENGTH = 8970;
export const MAX_LINE_BYTES = MAX_AUDIT_MESSAGE_LENGTH - 32 - 1;

const NL = 0x0a;
const SPACE = 0x20;
const NUL = 0x00;

const prefixCache = new Map<number, Buffer>();

function prefixFor(type: number): Buffer {
  let p = prefixCache.get(type);
  if (p === undefined) {
    p = Buffer.from(`type=${recordTypeName(type)} msg=`, 'latin1');
    // Unknown types are bounded by u16 anyway; the cache cannot grow without limit.
    prefixCache.set(type, p);
  }
  return p;
}

export interface FormatOptions {
  /** Leave EOE records out (the log does; plugins do not). */
  skipEoe: boolean;
  /** Trim one trailing space from the line (the log does; audispd does not). */
  trimTrailingSpace: boolean;
  /** log_format = ENRICHED: append GS and the interpreted fields (enrich.ts) */
  enrich?: Enricher | null;
}

export const LOG_FORMAT: FormatOptions = { skipEoe: true, trimTrailingSpace: true };
export const PLUGIN_FORMAT: FormatOptions = { skipEoe: false, trimTrailingSpace: false };

/**
 * The log's and the plugins' line formats for a log_format. ENRICHED as auditd does it: the log
 * gets the interpreted fields, and plugins get the log's lines (auditd's protocol 2: formatted,
 * trailing space trimmed), EOE included.
 */
export function formatsFor(enrich: Enricher | null): { log: FormatOptions; plugin: FormatOptions } {
  if (!enrich) return { log: LOG_FORMAT, plugin: PLUGIN_FORMAT };
  // Both trim alike, so a record's interpreted fields are the same for both and made once.
  return { log: { ...LOG_FORMAT, enrich }, plugin: { skipEoe: false, trimTrailingSpace: true, enrich } };
}

/** Number of payload bytes of `text` that go into the line (stop at NUL, cap to the max line). */
function payloadLength(text: Buffer, prefixLen: number, trim: boolean): number {
  let n = text.length;
  const nul = text.indexOf(NUL);
  if (nul >= 0) n = nul;
  const room = MAX_LINE_BYTES - prefixLen;
  if (n > room) n = room < 0 ? 0 : room;
  // auditd trims after turning newlines into spaces, so a trailing newline goes too.
  else if (trim && n > 0 && (text[n - 1] === SPACE || text[n - 1] === NL)) n -= 1;
  return n;
}

export interface FormattedBatch {
  /** All lines, each ending in `\n`. */
  buf: Buffer;
  /** Number of lines in buf (records minus skipped EOEs). */
  lines: number;
  /** End offset in buf of line i (only when `withOffsets` was asked for). */
  ends: Uint32Array | null;
}

/**
 * Format several batches (in order) into one Buffer. `groupEnds[g]` (if given) receives the byte
 * offset where group g's lines end and `groupLines[g]` its line count, so a writer that coalesced
 * several callers' batches can account a partial write back to each caller.
 */
export function formatGroups(
  groups: readonly (readonly AuditRecord[])[],
  opts: FormatOptions,
  groupEnds?: number[],
  groupLines?: number[],
  withOffsets = false,
  scratch?: FormatScratch,
): FormattedBatch {
  // Pass 1: sizes (and, for ENRICHED, each line's suffix).
  let total = 0;
  let lines = 0;
  const enrich = opts.enrich ?? null;
  const suffixes: string[] | null = enrich ? [] : null;
  for (const records of groups) {
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      if (opts.skipEoe && r.type === AUDIT_EOE) continue;
      const p = prefixFor(r.type);
      const n = payloadLength(r.text, p.length, opts.trimTrailingSpace);
      total += p.length + n + 1;
      if (suffixes) {
        let sfx = r.enrichedBy === enrich ? r.enriched! : undefined;
        if (sfx === undefined) {
          sfx = enrich!.suffix(r.type, r.text, n, p.length + n);
          const room = MAX_ENRICHED_LINE_BYTES - p.length - n;
          if (sfx.length > room) sfx = sfx.slice(0, room);
          r.enriched = sfx;
          r.enrichedBy = enrich!;
        }
        suffixes.push(sfx);
        total += sfx.length;
      }
      lines++;
    }
  }
  const buf = scratch ? scratch.take(total) : Buffer.allocUnsafe(total);
  const ends = withOffsets ? new Uint32Array(lines) : null;
  // Pass 2: copy.
  let off = 0;
  let line = 0;
  for (let g = 0; g < groups.length; g++) {
    const records = groups[g];
    let gl = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      if (opts.skipEoe && r.type === AUDIT_EOE) continue;
      const p = prefixFor(r.type);
      off += p.copy(buf, off);
      const n = payloadLength(r.text, p.length, opts.trimTrailingSpace);
      const start = off;
      off += r.text.copy(buf, off, 0, n);
      // Embedded newlines would split the record into two lines: auditd makes them spaces.
      let nl = r.text.indexOf(NL);
      while (nl >= 0 && nl < n) {
        buf[start + nl] = SPACE;
        nl = r.text.indexOf(NL, nl + 1);
      }
      if (suffixes) {
        const sfx = suffixes[line];
        if (sfx.length > 0) off += buf.write(sfx, off, sfx.length, 'latin1');
      }
      buf[off++] = NL;
      if (ends) ends[line] = off;
      line++;
      gl++;
    }
    if (groupEnds) groupEnds.push(off);
    if (groupLines) groupLines.push(gl);
  }
  return { buf, lines, ends };
}

/**
 * One reusable output buffer, for a caller that is done with each formatted batch before it
 * formats the next (the log writer: one write at a time). A fresh buffer per batch is garbage
 * until the next GC, and with big records that lag is megabytes of RSS outside the queue's byte
 * bound (measured: about 5 MiB of formatted buffers awaiting GC with 8 KiB records at 4 MiB/s).
 * Batches larger than `maxKeep` get a buffer of their own, so one outsized batch is not kept.
 */
export class FormatScratch {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxKeep = 4 * 1024 * 1024) {}

  /** a buffer of exactly `size` bytes, valid until the next take() */
  take(size: number): Buffer {
    if (size > this.maxKeep) return Buffer.allocUnsafe(size);
    if (size > this.buf.length) this.buf = Buffer.allocUnsafeSlow(Math.min(this.maxKeep, Math.max(size, this.buf.length * 2, 64 * 1024)));
    return this.buf.subarray(0, size);
  }
}

/** Format one batch for the log (EOE skipped). */
export function formatLogBatch(records: readonly AuditRecord[]): FormattedBatch {
  return formatGroups([records], LOG_FORMAT);
}

/** Format one record as the log line it becomes (without the newline), or null for EOE. */
export function formatLogLine(record: AuditRecord, opts: FormatOptions = LOG_FORMAT): string | null {
  if (record.type === AUDIT_EOE) return null;
  const { buf } = formatGroups([[record]], opts);
  return buf.toString('latin1', 0, buf.length - 1);
}

/** Count the records of a batch that the log would write (EOE excluded). */
export function countLoggable(records: readonly AuditRecord[]): number {
  let n = 0;
  for (let i = 0; i < records.length; i++) if (records[i].type !== AUDIT_EOE) n++;
  return n;
}
