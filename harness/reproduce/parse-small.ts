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
        ignored.push({ where, why: `${k}: "${v}" is not a number`, text: clip(raw) });
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
    if (key) out[key] = { value: Number(m[2]) * 1024, where: `${f.name}:${i + 1}` };
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
    const prev = out.get(key);
    if (prev) ignored.push({ where: prev.where, why: `${key} is set again on line ${i + 1}; auditd keeps the last one`, text: clip(`${key} = ${prev.value}`) });
    out.set(key, { value: m[2].trim(), where });
  });
  return out;
}
