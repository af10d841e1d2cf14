// Kernel messages from dmesg (`[ 123.456] ...`) or the journal (`Nov 10 23:00:01 host kernel: ...`):
// the audit loss lines (backlog limit exceeded, audit_lost=N, queue overflows), and OOM-killer
// reports (who invoked it, who was killed, and the task table with each process's RSS).
import { clip, type Ignored } from './evidence.ts';
import type { BundleFile } from './bundle-files.ts';

export interface KmsgLine {
  where: string;
  /** seconds: since boot (dmesg) or since the first journal line's day start (journal) */
  t: number | null;
}

export interface OomKill extends KmsgLine {
  pid: number;
  name: string;
  anonRssBytes: number | null;
}

export interface OomTask {
  where: string;
  pid: number;
  name: string;
  rssBytes: number;
  oomScoreAdj: number | null;
}

export interface KmsgFacts {
  backlogExceeded: KmsgLine[];
  /** audit_lost=N values in order */
  lost: Array<KmsgLine & { lost: number; backlogLimit: number | null; rateLimit: number | null }>;
  /** audit_backlog=N > audit_backlog_limit=M */
  backlogOver: Array<KmsgLine & { backlog: number; limit: number }>;
  rateLimitExceeded: KmsgLine[];
  queueOverflow: KmsgLine[];
  oomInvoked: Array<KmsgLine & { by: string }>;
  oomKills: OomKill[];
  /** the largest task-table entry per process name (the OOM report's process list) */
  oomTasks: OomTask[];
  /** audit or OOM lines we recognise as such but take no figure from */
  otherAudit: number;
  unrelated: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function timeOf(line: string): { t: number | null; rest: string } {
  let m = /^\[\s*(\d+\.\d+)\]\s?(.*)$/.exec(line);
  if (m) return { t: Number(m[1]), rest: m[2] };
  m = /^([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d)(?:\.\d+)? \S+ kernel: (?:\[\s*[\d.]+\] )?(.*)$/.exec(line);
  if (m) {
    const day = MONTHS.indexOf(m[1]) * 31 + Number(m[2]);
    return { t: day * 86400 + Number(m[3]) * 3600 + Number(m[4]) * 60 + Number(m[5]), rest: m[6] };
  }
  m = /^\d{4}-\d\d-\d\dT(\d\d):(\d\d):(\d\d)(?:\.\d+)?\S* \S+ kernel: (?:\[\s*[\d.]+\] )?(.*)$/.exec(line);
  if (m) return { t: Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]), rest: m[4] };
  return { t: null, rest: line };
}

export function parseKmsg(f: BundleFile, ignored: Ignored[]): KmsgFacts {
  const out: KmsgFacts = { backlogExceeded: [], lost: [], backlogOver: [], rateLimitExceeded: [], queueOverflow: [], oomInvoked: [], oomKills: [], oomTasks: [], otherAudit: 0, unrelated: 0 };
  const tasks = new Map<string, OomTask>();
  const unrelatedSamples: string[] = [];
  f.lines.forEach((raw, i) => {
    if (raw.trim() === '' || raw.startsWith('#')) return;
    const where = `${f.name}:${i + 1}`;
    const { t, rest } = timeOf(raw.trim());
    const at = { where, t };
    let m: RegExpExecArray | null;
    if (/backlog limit exceeded/.test(rest)) out.backlogExceeded.push(at);
    else if ((m = /audit_lost=(\d+)(?:.*?audit_rate_limit=(\d+))?(?:.*?audit_backlog_limit=(\d+))?/.exec(rest))) {
      // figures outside 32 bits (or a backlog limit of 0) are not a kernel's: dropped with a note
      const u32 = (d: string | undefined, min = 0) => (d !== undefined && d.length <= 10 && Number(d) >= min && Number(d) <= 4_294_967_295 ? Number(d) : null);
      if (u32(m[1]) === null || (m[2] && u32(m[2]) === null) || (m[3] && u32(m[3], 1) === null)) {
        ignored.push({ where, why: 'audit_lost / audit_rate_limit / audit_backlog_limit outside what the kernel holds (32 bits; a backlog limit of at least 1); line not used', text: clip(raw) });
        return;
      }
      out.lost.push({ ...at, lost: Number(m[1]), rateLimit: u32(m[2]), backlogLimit: u32(m[3], 1) });
    } else if ((m = /audit_backlog=(\d+) > audit_backlog_limit=(\d+)/.exec(rest))) {
      out.backlogOver.push({ ...at, backlog: Number(m[1]), limit: Number(m[2]) });
    } else if (/rate limit exceeded/.test(rest)) out.rateLimitExceeded.push(at);
    else if (/(hold|retry) queue overflow|queue overflow/.test(rest)) out.queueOverflow.push(at);
    else if ((m = /^(\S+) invoked oom-killer/.exec(rest))) out.oomInvoked.push({ ...at, by: m[1] });
    else if ((m = /Killed process (\d+) \(([^)]+)\)(?:.*?anon-rss:(\d+)kB)?/.exec(rest))) {
      out.oomKills.push({ ...at, pid: Number(m[1]), name: m[2], anonRssBytes: m[3] ? Number(m[3]) * 1024 : null });
    } else if ((m = /^\[\s*(\d+)\]\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(?:-?\d+\s+)*?(-?\d+)\s+(\S+)$/.exec(rest))) {
      // [ pid ]   uid  tgid total_vm      rss [pgtables_bytes] [swapents] oom_score_adj name; rss in 4 KiB pages
      const task: OomTask = { where, pid: Number(m[1]), name: m[7], rssBytes: Number(m[5]) * 4096, oomScoreAdj: Number(m[6]) };
      const prev = tasks.get(task.name);
      if (!prev || prev.rssBytes < task.rssBytes) tasks.set(task.name, task);
    } else if (/audit|oom|Out of memory|Mem-Info|Tasks state|\[\s*pid\s*\]/.test(rest)) out.otherAudit++;
    else {
      out.unrelated++;
      if (unrelatedSamples.length < 3) unrelatedSamples.push(`${where}: ${clip(raw, 80)}`);
    }
  });
  out.oomTasks = [...tasks.values()].sort((a, b) => b.rssBytes - a.rssBytes);
  if (out.unrelated) {
    ignored.push({ where: f.name, why: `${out.unrelated} kernel line(s) unrelated to audit or the OOM killer (e.g. ${unrelatedSamples.join('; ')})` });
  }
  return out;
}
