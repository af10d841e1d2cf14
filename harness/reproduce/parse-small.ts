// Parsers for the small bundle files: `auditctl -s` (3.x one-per-line, and 1.x/2.x's one-line
// `AUDIT_STATUS: enabled=1 flag=1 pid=...`), /proc/meminfo and auditd.conf. Each value keeps the
// file:line it came from; lines that are not understood are returned as ignored.
import { clip, type Ignored } from './evidence.ts';
import type { BundleFile } from './bundle-files.ts';

export interface Located<T> {
  value: T;
  where: string;
}

export interface StatusFacts {
  enabled?: Located<number>;
  failure?: Located<number>;
  pid?: Located<number>;
  rateLimit?: Located<number>;
  backlogLimit?: Located<number>;
  lost?: Located<number>;
  backlog?: Located<number>;
  /** kernel jiffies as auditctl prints them */
  backlogWaitTime?: Located<number>;
  backlogWaitTimeActual?: Located<number>;
}

const STATUS_KEYS: Record<string, keyof StatusFacts> = {
  enabled: 'enabled', failure: 'failure', flag: 'failure', pid: 'pid', rate_limit: 'rateLimit',
  backlog_limit: 'backlogLimit', lost: 'lost', backlog: 'backlog', backlog_wait_time: 'backlogWaitTime',
  backlog_wait_time_actual: 'backlogWaitTimeActual',
};

const U32 = 4_294_967_295;
const TIB = 1024 ** 4;
/** What each figure can be on a real host; a value outside is a typo or a hostile bundle, and is
 *  reported as ignored instead of driving the reproduction (docs/reproducing.md). */
export const FIGURE_RANGES: Record<string, { min: number; max: number; why: string }> = {
  enabled: { min: 0, max: 2, why: '0, 1 or 2' },
  failure: { min: 0, max: 2, why: '0, 1 or 2' },
  flag: { min: 0, max: 2, why: '0, 1 or 2' },
  pid: { min: 0, max: 4_194_304, why: 'a pid (at most 2^22)' },
  rate_limit: { min: 0, max: U32, why: 'records per second, 0 for no limit, within 32 bits' },
  backlog_limit: { min: 1, max: U32, why: 'from 1 to 2^32-1 (0 means no limit, which a reproduction cannot bound)' },
  lost: { min: 0, max: U32, why: 'the kernel\'s 32-bit counter' },
  backlog: { min: 0, max: U32, why: 'a queue length within 32 bits' },
  backlog_wait_time: { min: 0, max: 600_000, why: 'jiffies up to the kernel\'s 10-minute bound' },
  backlog_wait_time_actual: { min: 0, max: U32, why: 'jiffies within 32 bits' },
  MemTotal: { min: 16 * 1024 ** 2, max: 64 * TIB, why: 'from 16 MiB to 64 TiB' },
  MemAvailable: { min: 0, max: 64 * TIB, why: 'at most 64 TiB' },
  MemFree: { min: 0, max: 64 * TIB, why: 'at most 64 TiB' },
  SwapTotal: { min: 0, max: 64 * TIB, why: 'at most 64 TiB' },
  freq: { min: 1, max: 1_000_000, why: 'records between flushes, 1 to 1,000,000 (0 never flushes: an incremental flush needs more)' },
  q_depth: { min: 1, max: 10_000_000, why: 'a queue depth from 1 to 10,000,000' },
  num_logs: { min: 0, max: 999, why: '0 to 999' },
  max_log_file: { min: 0, max: 1_000_000, why: 'MiB, 0 to 1,000,000' },
};

/** null when the figure is plausible, else why not. Digits only (no floats, no exponents). */
function implausible(key: string, digits: string, scale = 1): string | null {
  const r = FIGURE_RANGES[key];
  if (!r) return null;
  const v = digits.length > 16 ? Infinity : Number(digits) * scale;
  if (v >= r.min && v <= r.max) return null;
  return `${key} ${digits.length > 16 ? `${digits.slice(0, 16)}... (${digits.length} digits)` : digits} is outside what a host has (${r.why}); not used`;
}

export function parseStatus(f: BundleFile, ignored: Ignored[]): StatusFacts {
  const out: StatusFacts = {};
  f.lines.forEach((raw, i) => {
    const line = raw.trim();
    const where = `${f.name}:${i + 1}`;
    if (line === '' || line.startsWith('#')) return;
    const pairs: Array<[string, string]> = [];
    if (line.startsWith('AUDIT_STATUS:')) {
      for (const m of line.slice(13).matchAll(/(\w+)=(\S+)/g)) pairs.push([m[1], m[2]]);
    } else {
      const m = /^(\w+)\s+(\S+)/.exec(line);
      if (m) pairs.push([m[1], m[2]]);
    }
    let used = false;
    for (const [k, v] of pairs) {
      const key = STATUS_KEYS[k];
      if (!key) continue;
      if (!/^\d+$/.test(v)) {
        ignored.push({ where, why: `${k}: "${clip(v, 40)}" is not a number`, text: clip(raw) });
        continue;
      }
      const off = implausible(k, v);
      if (off) {
        ignored.push({ where, why: off, text: clip(raw) });
        used = true;
        continue;
      }
      out[key] = { value: Number(v), where };
      used = true;
    }
    if (!used && !/^loginuid_immutable/.test(line)) ignored.push({ where, why: 'not an `auditctl -s` field', text: clip(raw) });
  });
  return out;
}

export interface MeminfoFacts {
  memTotalBytes?: Located<number>;
  memAvailableBytes?: Located<number>;
  memFreeBytes?: Located<number>;
  swapTotalBytes?: Located<number>;
}

export function parseMeminfo(f: BundleFile, ignored: Ignored[]): MeminfoFacts {
  const out: MeminfoFacts = {};
  const keys: Record<string, keyof MeminfoFacts> = { MemTotal: 'memTotalBytes', MemAvailable: 'memAvailableBytes', MemFree: 'memFreeBytes', SwapTotal: 'swapTotalBytes' };
  f.lines.forEach((raw, i) => {
    const m = /^([A-Za-z_()0-9]+):\s+(\d+)(?: kB)?\s*$/.exec(raw.trim());
    if (!m) {
      if (raw.trim() !== '') ignored.push({ where: `${f.name}:${i + 1}`, why: 'not a /proc/meminfo line (`Name:   N kB`)', text: clip(raw) });
      return;
    }
    const key = keys[m[1]];
    if (!key) return;
    const off = implausible(m[1], m[2], 1024);
    if (off) {
      ignored.push({ where: `${f.name}:${i + 1}`, why: off.replace(/ is outside/, ' kB is outside'), text: clip(raw) });
      return;
    }
    out[key] = { value: Number(m[2]) * 1024, where: `${f.name}:${i + 1}` };
  });
  return out;
}

/** auditd.conf keys -> value, lower-cased keys, as auditd reads them. */
export function parseAuditdConf(f: BundleFile, ignored: Ignored[]): Map<string, Located<string>> {
  const out = new Map<string, Located<string>>();
  f.lines.forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const where = `${f.name}:${i + 1}`;
    const m = /^([A-Za-z_0-9]+)\s*=\s*(.*)$/.exec(line);
    if (!m || m[2] === '') {
      ignored.push({ where, why: 'not `key = value`', text: clip(raw) });
      return;
    }
    const key = m[1].toLowerCase();
    const value = m[2].trim();
    if (FIGURE_RANGES[key] && /^\d+$/.test(value)) {
      const off = implausible(key, value);
      if (off) {
        ignored.push({ where, why: off, text: clip(raw) });
        return;
      }
    }
    const prev = out.get(key);
    if (prev) ignored.push({ where: prev.where, why: `${key} is set again on line ${i + 1}; auditd keeps the last one`, text: clip(`${key} = ${prev.value}`) });
    out.set(key, { value: m[2].trim(), where });
  });
  return out;
}
