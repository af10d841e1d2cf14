// An audit.log excerpt (RAW, or ENRICHED with 0x1D before the interpreted fields; `node=` prefixes;
// ausearch's `----`/`time->` separators; rotated files) -> the load profile: events per second
// over time, the record-type mix, record sizes, the syscalls and keys behind the events, the
// user-space record types, and the bursts.
import { msgTypeByName } from '../rules/tables.ts';
import { syscallName } from '../rules/syscall-table.ts';
import { clip, type Contradiction, type Ignored } from './evidence.ts';
import type { BundleFile } from './bundle-files.ts';

export interface Burst {
  /** seconds since the first event */
  startSec: number;
  lengthSec: number;
  meanEventsPerSec: number;
}

export interface LogProfile {
  files: string[];
  lines: number;
  records: number;
  events: number;
  /** epoch seconds of the first and last event */
  firstTs: number | null;
  lastTs: number | null;
  spanSec: number;
  meanEventsPerSec: number;
  medianEventsPerSec: number;
  peakEventsPerSec: number;
  /** events in each second from the first (index 0), zeros included */
  perSecond: number[];
  recordsByType: Record<string, number>;
  bytesByType: Record<string, number>;
  meanRecordsPerEvent: number;
  meanEventBytes: number;
  /** syscall events by syscall name */
  syscalls: Record<string, number>;
  keys: Record<string, number>;
  /** user-space records by type number, and their text sizes */
  userTypes: Record<number, number>;
  userSizes: number[];
  bursts: Burst[];
  enriched: boolean;
  duplicateEvents: number;
}

/** Bounds on what a log excerpt may claim (docs/reproducing.md). */
export const LOG_LIMITS = {
  /** 2000-01-01 and 2100-01-01: audit clocks outside are not real */
  earliestSec: 946_684_800,
  latestSec: 4_102_444_800,
  /** seconds of per-second profile (7 days) */
  profileSec: 7 * 86_400,
};

const LINE = /^(?:node=(\S+) )?type=([A-Z_0-9]+|UNKNOWN\[\d+\]) msg=audit\((\d+)\.(\d+):(\d+)\): ?(.*)$/;
const USER_NAME = /^(USER|USER_[A-Z_]+|CRED_[A-Z]+|ADD_USER|DEL_USER|ADD_GROUP|DEL_GROUP|TRUSTED_APP|ANOM_[A-Z_]+|RESP_[A-Z_]+|LOGIN|USYS_CONFIG|CHGRP_ID|CHUSER_ID|GRP_[A-Z_]+|ROLE_[A-Z_]+|SYSTEM_[A-Z_]+|SERVICE_[A-Z_]+|SOFTWARE_UPDATE|VIRT_[A-Z_]+|DAEMON_[A-Z_]+)$/;

function userTypeNumber(name: string): number | null {
  const unk = /^UNKNOWN\[(\d+)\]$/.exec(name);
  const n = unk ? Number(unk[1]) : msgTypeByName(name);
  if (n === undefined) return null;
  return n === 1005 || (n >= 1100 && n <= 1199) || (n >= 2100 && n <= 2999) ? n : null;
}

const median = (xs: number[]) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** Seconds well above the typical rate, merged into runs: the load's bursts. */
export function findBursts(perSecond: number[]): Burst[] {
  const base = median(perSecond);
  const threshold = Math.max(3 * base, base + 50);
  const bursts: Burst[] = [];
  let cur: { start: number; sum: number; n: number } | null = null;
  perSecond.forEach((v, i) => {
    if (v > threshold) {
      if (cur && i - (cur.start + cur.n) <= 1) { cur.n = i - cur.start + 1; cur.sum += v; } else {
        if (cur) bursts.push({ startSec: cur.start, lengthSec: cur.n, meanEventsPerSec: cur.sum / cur.n });
        cur = { start: i, sum: v, n: 1 };
      }
    }
  });
  if (cur) { const c = cur as { start: number; sum: number; n: number }; bursts.push({ startSec: c.start, lengthSec: c.n, meanEventsPerSec: c.sum / c.n }); }
  return bursts;
}

interface EventAcc { ts: number; syscall: string | null; key: string | null; records: number; bytes: number }

export function parseAuditLogs(files: BundleFile[], ignored: Ignored[], contradictions: Contradiction[]): LogProfile | null {
  // oldest first: audit.log.3, .2, .1, audit.log
  const ordered = [...files].sort((a, b) => b.rotation - a.rotation || a.name.localeCompare(b.name));
  const events = new Map<string, EventAcc>();
  const p: LogProfile = {
    files: ordered.map((f) => f.name), lines: 0, records: 0, events: 0, firstTs: null, lastTs: null, spanSec: 0,
    meanEventsPerSec: 0, medianEventsPerSec: 0, peakEventsPerSec: 0, perSecond: [], recordsByType: {}, bytesByType: {},
    meanRecordsPerEvent: 0, meanEventBytes: 0, syscalls: {}, keys: {}, userTypes: {}, userSizes: [], bursts: [], enriched: false, duplicateEvents: 0,
  };
  const seenIn = new Map<string, string>();
  let prevRange: { name: string; first: number; last: number } | null = null;
  for (const f of ordered) {
    let bad = 0;
    let badTime = 0;
    let first = Infinity, last = -Infinity;
    f.lines.forEach((raw, i) => {
      p.lines++;
      if (raw.trim() === '' || /^(----|time->)/.test(raw)) return;
      const m = LINE.exec(raw);
      if (!m) {
        bad++;
        if (bad <= 5) {
          const why = /msg=audit\(\d\d\/\d\d\/\d{4}/.test(raw)
            ? 'interpreted (ausearch -i) form: send the raw log (ausearch --raw, or the file itself)'
            : 'not an audit record (`type=NAME msg=audit(SEC.MSEC:SERIAL): ...`)';
          ignored.push({ where: `${f.name}:${i + 1}`, why, text: clip(raw) });
        }
        return;
      }
      const [, node, type, sec, ms, serial, body] = m;
      if (sec.length > 11 || Number(sec) < LOG_LIMITS.earliestSec || Number(sec) > LOG_LIMITS.latestSec) {
        badTime++;
        if (badTime <= 3) {
          ignored.push({ where: `${f.name}:${i + 1}`, why: `timestamp ${sec.length > 14 ? `${sec.slice(0, 14)}... (${sec.length} digits)` : sec} is outside ${new Date(LOG_LIMITS.earliestSec * 1000).getUTCFullYear()}..${new Date(LOG_LIMITS.latestSec * 1000).getUTCFullYear()}: not a clock this log could have had; record not used`, text: clip(raw) });
        }
        return;
      }
      const enrichedAt = body.indexOf('\x1d');
      if (enrichedAt >= 0) p.enriched = true;
      const rawBody = enrichedAt >= 0 ? body.slice(0, enrichedAt) : body;
      const ts = Number(sec) + Number(ms) / 1000;
      first = Math.min(first, ts);
      last = Math.max(last, ts);
      const id = `${node ?? ''}/${sec}.${ms}:${serial}`;
      const owner = seenIn.get(id);
      if (owner !== undefined && owner !== f.name && type !== 'EOE') {
        // the same event in two files: overlapping excerpts; count it once
        p.duplicateEvents++;
        return;
      }
      seenIn.set(id, f.name);
      p.records++;
      p.recordsByType[type] = (p.recordsByType[type] ?? 0) + 1;
      const size = raw.length - (enrichedAt >= 0 ? body.length - enrichedAt : 0);
      p.bytesByType[type] = (p.bytesByType[type] ?? 0) + size;
      let ev = events.get(id);
      if (!ev) {
        ev = { ts, syscall: null, key: null, records: 0, bytes: 0 };
        events.set(id, ev);
      }
      ev.records++;
      ev.bytes += size;
      if (type === 'SYSCALL') {
        // the interpreted part only (a run of 0x1D before it must not make this quadratic)
        const named = enrichedAt >= 0 ? /\bSYSCALL=(\w+)/.exec(body.slice(enrichedAt + 1))?.[1] : undefined;
        const nr = /\bsyscall=(\d+)/.exec(rawBody)?.[1];
        const arch = /\barch=([0-9a-f]+)/.exec(rawBody)?.[1];
        ev.syscall = named ?? (nr !== undefined ? syscallName(Number(nr), arch === '40000003' ? 'i386' : 'x86_64') ?? `syscall-${nr}` : 'unknown');
        const key = /\bkey=(?:"([^"]*)"|\(null\)|(\S+))/.exec(rawBody);
        ev.key = key ? (key[1] ?? key[2] ?? null) : null;
      } else {
        const ut = userTypeNumber(type);
        if (ut !== null || USER_NAME.test(type)) {
          if (ut !== null) p.userTypes[ut] = (p.userTypes[ut] ?? 0) + 1;
          const msg = /msg='([^']*)'/.exec(rawBody)?.[1];
          p.userSizes.push(msg !== undefined ? msg.length : rawBody.length);
        }
      }
    });
    if (bad > 5) ignored.push({ where: f.name, why: `${bad - 5} more line(s) that are not audit records` });
    if (badTime > 3) ignored.push({ where: f.name, why: `${badTime - 3} more record(s) with a timestamp outside the plausible range` });
    if (Number.isFinite(first)) {
      if (prevRange && first < prevRange.first && last < prevRange.last) {
        contradictions.push({
          figure: 'log rotation order',
          used: { value: 'event timestamps', source: `${f.name} (${new Date(first * 1000).toISOString()}..)` },
          ignored: { value: 'file name order', source: prevRange.name },
          why: `${f.name} is named newer than ${prevRange.name} but its events are older; the profile uses the timestamps (events are merged by time, not by file)`,
        });
      }
      prevRange = { name: f.name, first, last };
    }
  }
  if (events.size === 0) return null;
  let totalRecords = 0, totalBytes = 0;
  let firstTs = Infinity, lastTs = -Infinity;
  for (const ev of events.values()) {
    firstTs = Math.min(firstTs, ev.ts);
    lastTs = Math.max(lastTs, ev.ts);
  }
  const secs = Math.floor(lastTs) - Math.floor(firstTs) + 1;
  p.perSecond = new Array(Math.min(secs, LOG_LIMITS.profileSec)).fill(0);
  let outside = 0;
  for (const ev of events.values()) {
    totalRecords += ev.records;
    totalBytes += ev.bytes;
    const i = Math.floor(ev.ts) - Math.floor(firstTs);
    if (i < p.perSecond.length) p.perSecond[i]++;
    else outside++;
    if (ev.syscall) p.syscalls[ev.syscall] = (p.syscalls[ev.syscall] ?? 0) + 1;
    if (ev.key) p.keys[ev.key] = (p.keys[ev.key] ?? 0) + 1;
  }
  p.events = events.size;
  p.firstTs = firstTs;
  p.lastTs = lastTs;
  p.spanSec = Math.max(1, lastTs - firstTs);
  p.meanEventsPerSec = p.events / Math.max(1, p.perSecond.length);
  p.medianEventsPerSec = median(p.perSecond);
  // a loop, not Math.max(...): a profile of days is too many arguments for one call
  p.peakEventsPerSec = p.perSecond.reduce((a, b) => (b > a ? b : a), 0);
  if (outside > 0) {
    ignored.push({ where: p.files.join(', '), why: `the log spans ${(secs / 86400).toFixed(1)} days; the per-second profile covers the first ${LOG_LIMITS.profileSec / 86400} days, so ${outside} later event(s) are not in its rates (they are in the totals); send an excerpt around the incident` });
  }
  p.meanRecordsPerEvent = totalRecords / p.events;
  p.meanEventBytes = totalBytes / p.events;
  p.bursts = findBursts(p.perSecond);
  return p;
}
