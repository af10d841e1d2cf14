// Bundle files -> what the field had: kernel settings, rules (rescoped), load profile mapped to
// our generators, the daemon's configuration, the memory, and the symptom. Every figure says
// where it came from; a missing piece gets a stated default. Contradictions between files are
// resolved by a stated preference (the live `auditctl -s` over a rules file's -b line, ...) and
// reported.
import { generators, type GeneratorName } from '../../loads/generators/index.ts';
import { MAX_USER_MESSAGE_TEXT } from '../kernel/codec.ts';
import { readBundleFiles, type BundleFile, type BundleFileKind } from './bundle-files.ts';
import { byDefault, fromFile, type Contradiction, type Figure, type Ignored } from './evidence.ts';
import { parseAuditLogs, type Burst, type LogProfile } from './parse-log.ts';
import { parseKmsg, type KmsgFacts } from './parse-kmsg.ts';
import { parseAuditdConf, parseMeminfo, parseStatus, type Located, type MeminfoFacts, type StatusFacts } from './parse-small.ts';
import { rescopeRules, type RescopedRule } from './rescope-rules.ts';
import { deriveDrain, type DrainModel } from './drain-model.ts';
import { emptyNoteFacts, parseNotes, type NoteFacts, type NoteFigure } from './notes.ts';

export interface LoadMapping {
  generator: GeneratorName;
  /** share of the field's events this load stands for */
  share: number;
  /** field events per second (mean) */
  eventsPerSec: number;
  because: string;
  userTypes?: number[];
  userSizes?: Array<{ size: number; weight: number }>;
}

export type Symptom = 'memory' | 'loss';

/** What held the field daemon back: its log's disk, or its consumer (a plugin, a socket client). */
export type Bottleneck = 'disk' | 'consumer';

/** Figures given on the command line: each replaces what the bundle says (and is shown as a flag). */
export interface DeriveOverrides {
  /** events/s the field offered at its peak (--rate) */
  offeredEventsPerSec?: number;
  /** events/s the field daemon drained (--drain) */
  drainEventsPerSec?: number;
  /** ms per write on the log's disk (--write-latency) */
  writeLatencyMs?: number;
  /** bytes/s the log's disk took (--write-rate) */
  diskBytesPerSec?: number;
  /** the field host's available memory (--memory) */
  memoryBytes?: number;
  /** what held the daemon back (--bottleneck) */
  bottleneck?: Bottleneck;
}

export interface Derived {
  bundle: {
    dir: string;
    used: Array<{ file: string; kind: BundleFileKind; what: string }>;
    ignored: Ignored[];
    contradictions: Contradiction[];
    notes: string[];
    /** figures read from the free text, each with its file:line */
    noteFigures: NoteFacts;
  };
  kernel: {
    backlogLimit: Figure<number>;
    backlogWaitTimeMs: Figure<number>;
    rateLimit: Figure<number>;
    failure: Figure<number>;
    enabled: Figure<number>;
    lostAtCollection: Figure<number | null>;
  };
  rules: { rules: RescopedRule[]; added: Array<{ rule: string; why: string }>; source: string };
  load: {
    meanEventsPerSec: Figure<number>;
    medianEventsPerSec: Figure<number>;
    peakEventsPerSec: Figure<number>;
    spanSec: Figure<number>;
    recordsPerEvent: Figure<number>;
    eventBytes: Figure<number>;
    recordMix: Figure<Record<string, number>>;
    bursts: Figure<Burst[]>;
    /** per-second event counts of the excerpt (for the report) */
    perSecond: number[];
    loads: LoadMapping[];
  };
  daemon: {
    flush: Figure<string>;
    freq: Figure<number>;
    qDepth: Figure<number>;
    overflowAction: Figure<string>;
    diskFullAction: Figure<string>;
    diskErrorAction: Figure<string>;
    dispatcher: Figure<string | null>;
    notApplied: string[];
  };
  memory: {
    totalBytes: Figure<number>;
    availableBytes: Figure<number>;
    daemonRssAtOomBytes: Figure<number | null>;
  };
  symptom: {
    kinds: Figure<Symptom[]>;
    oomKills: Array<{ pid: number; name: string; where: string }>;
    kernelLostDuringExcerpt: Figure<number | null>;
    backlogExceededLines: number;
    /** what fraction of the offered load the field daemon drained at its busiest */
    drainFraction: Figure<number>;
    /** the field daemon's own name in the OOM report, if seen */
    daemonName: string | null;
    /** the daemon's "queue to plugins is full" (or like) lines */
    pluginQueueFullLines: number;
  };
  /** what the field daemon could drain and what was offered to it, from the field's evidence */
  drain: DrainModel;
}

export class UnusableBundleError extends Error {
  constructor(readonly derivedSoFar: Pick<Derived, 'bundle'>, reason: string) {
    super(reason);
    this.name = 'UnusableBundleError';
  }
}

const DAEMON_NAMES = /^(auditd|audispd|audisp-remote|tsauditd|kauditd|go-audit|auditbeat|osqueryd)$/;
const DEFAULT_MEMORY = 2 * 1024 ** 3;

const GEN_FOR_SYSCALL: Array<[RegExp, GeneratorName]> = [
  [/^(openat2?|open|creat|open_by_handle_at|name_to_handle_at)$/, 'open-close'],
  [/^(stat|lstat|fstat|newfstatat|statx|stat64|lstat64|fstatat64|access|faccessat2?)$/, 'stat'],
  [/^(execve|execveat|clone|clone3|fork|vfork)$/, 'fork-exec'],
  [/^(connect|accept4?|bind|listen|socket|socketcall)$/, 'tcp'],
  [/^(rename|renameat2?|unlink|unlinkat|write|truncate|ftruncate|chmod|fchmod|fchmodat|chown|fchown|fchownat|lchown|setxattr|lsetxattr|fsetxattr|removexattr|mkdir|mkdirat|rmdir|link|linkat|symlink|symlinkat|utimensat)$/, 'file-write'],
];
/** audited syscalls per generator operation (loads/generators/index.ts) */
export const AUDITED_PER_OP: Record<GeneratorName, number> = { 'open-close': 1, stat: 1, 'file-write': 3, 'fork-exec': 2, tcp: 2, http: 2, 'user-message': 1 };

function pick<T>(figure: string, candidates: Array<{ v: Located<T> | undefined; label: string }>, contradictions: Contradiction[], why: string): Located<T> | undefined {
  const have = candidates.filter((c) => c.v !== undefined) as Array<{ v: Located<T>; label: string }>;
  if (have.length === 0) return undefined;
  for (const other of have.slice(1)) {
    if (String(other.v.value) !== String(have[0].v.value)) {
      contradictions.push({
        figure,
        used: { value: String(have[0].v.value), source: have[0].v.where },
        ignored: { value: String(other.v.value), source: other.v.where },
        why,
      });
    }
  }
  return have[0].v;
}

function quantileSizes(sizes: number[]): Array<{ size: number; weight: number }> {
  if (!sizes.length) return [{ size: 200, weight: 1 }];
  const s = [...sizes].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  // four strata: the bulk, the upper middle, the tail, the largest
  const strata: Array<[number, number]> = [[q(0.5), 0.5], [q(0.9), 0.4], [q(0.99), 0.09], [s[s.length - 1], 0.01]];
  const merged = new Map<number, number>();
  for (const [size, w] of strata) {
    const b = Math.max(1, Math.min(MAX_USER_MESSAGE_TEXT, size));
    merged.set(b, (merged.get(b) ?? 0) + w);
  }
  return [...merged].map(([size, weight]) => ({ size, weight: Math.round(weight * 1000) / 1000 }));
}

function mapLoads(log: LogProfile | null, rules: RescopedRule[]): LoadMapping[] {
  if (!log) {
    // no log: one load per generator the rules' syscalls point at, equal shares
    const gens = new Set<GeneratorName>();
    for (const r of rules) {
      for (const sc of r.syscalls) for (const [re, g] of GEN_FOR_SYSCALL) if (re.test(sc)) gens.add(g);
      if (r.watch) gens.add('file-write');
    }
    if (gens.size === 0) gens.add('open-close');
    return [...gens].map((g) => ({ generator: g, share: 1 / gens.size, eventsPerSec: 0, because: 'no audit.log in the bundle: one load per kind of syscall the rules audit, equal shares (default)' }));
  }
  const byGen = new Map<GeneratorName, { n: number; from: Map<string, number> }>();
  const add = (g: GeneratorName, what: string, n: number) => {
    const e = byGen.get(g) ?? { n: 0, from: new Map() };
    e.n += n;
    e.from.set(what, (e.from.get(what) ?? 0) + n);
    byGen.set(g, e);
  };
  for (const [sc, n] of Object.entries(log.syscalls)) {
    const g = GEN_FOR_SYSCALL.find(([re]) => re.test(sc))?.[1];
    add(g ?? 'open-close', g ? sc : `${sc} (no generator makes it; nearest: one syscall event with a PATH record)`, n);
  }
  const userEvents = log.userSizes.length;
  if (userEvents) add('user-message', 'user-space records', userEvents);
  const other = log.events - Object.values(log.syscalls).reduce((a, b) => a + b, 0) - userEvents;
  if (other > log.events * 0.01) add('open-close', 'kernel records without a SYSCALL (nearest: a syscall event)', other);
  const total = [...byGen.values()].reduce((a, b) => a + b.n, 0) || 1;
  const rate = log.meanEventsPerSec;
  return [...byGen].sort((a, b) => b[1].n - a[1].n).map(([g, e]) => ({
    generator: g, share: e.n / total, eventsPerSec: (rate * e.n) / total,
    because: `${[...e.from].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([w, n]) => `${w} ${n}`).join(', ')} of ${log.events} events in the log`,
    ...(g === 'user-message' ? {
      userTypes: Object.keys(log.userTypes).map(Number).length ? Object.keys(log.userTypes).map(Number) : [1005],
      userSizes: quantileSizes(log.userSizes),
    } : {}),
  }));
}

/** The generators' own rules for syscalls the field rules do not audit, so the load is seen. */
function coverRules(loads: LoadMapping[], rules: RescopedRule[]): Array<{ rule: string; why: string }> {
  const added: Array<{ rule: string; why: string }> = [];
  const auditsAll = rules.some((r) => /-a (always,exit|exit,always)/.test(r.rule) && (r.syscalls.length === 0 || r.syscalls.includes('all')) && !r.watch && !/-F (path|dir)=/.test(r.rule));
  for (const l of loads) {
    if (l.generator === 'user-message') continue;
    const info = generators[l.generator];
    if (l.generator === 'file-write') {
      const watchKey = rules.find((r) => r.watch && /w|a/.test(r.watch.perm))?.key ?? 'field-watch';
      // by syscall, not dir=@SCRATCH@: the runner loads rules before the scratch dir exists
      added.push({ rule: `-a always,exit -F arch=b64 -S openat,rename,renameat,renameat2,unlink,unlinkat -F success=1 -F auid=@AUID@ -k ${watchKey}`, why: 'the field\'s watched paths are outside the run: the file-write load\'s create, rename and unlink are audited by syscall instead' });
      continue;
    }
    const needed = info.testRules.flatMap((t) => [...t.matchAll(/-S (\S+)/g)].flatMap((m) => m[1].split(',')));
    // a rule covers the load only when nothing but arch, auid and key filter it
    const plain = (r: RescopedRule) => [...r.rule.matchAll(/-F ([a-z_0-9]+)/g)].every((m) => ['arch', 'auid', 'key'].includes(m[1]));
    const covered = auditsAll || needed.every((sc) => rules.some((r) => r.syscalls.includes(sc) && plain(r)));
    if (!covered) {
      for (const t of info.testRules) added.push({ rule: t.replace(/-k @KEY@/, '-k reproduce'), why: `the log shows ${l.generator} events the field rules here do not audit (rules missing from the bundle, or narrower than the log)` });
    }
  }
  return added;
}

export function deriveFromBundle(dir: string, overrides: DeriveOverrides = {}): Derived {
  const files = readBundleFiles(dir);
  const ignored: Ignored[] = [...files.ignored];
  const contradictions: Contradiction[] = [];
  const used: Derived['bundle']['used'] = [];
  const notes: string[] = [];
  const of = (k: BundleFileKind) => files.files.filter((f) => f.kind === k);

  let status: StatusFacts = {};
  for (const f of of('status')) {
    const s = parseStatus(f, ignored);
    if (Object.keys(s).length) used.push({ file: f.name, kind: 'status', what: `auditctl -s: ${Object.keys(s).join(', ')}` });
    else ignored.push({ where: f.name, why: 'looked like auditctl -s but no field could be read' });
    for (const [k, v] of Object.entries(s)) {
      const prev = (status as Record<string, Located<number>>)[k];
      if (prev && prev.value !== v.value) contradictions.push({ figure: k, used: { value: String(prev.value), source: prev.where }, ignored: { value: String(v.value), source: v.where }, why: 'two auditctl -s outputs disagree; the first file (by name) is used' });
      else (status as Record<string, Located<number>>)[k] = v;
    }
  }
  const ruleFiles = of('rules');
  const rescoped = rescopeRules(ruleFiles, ignored);
  for (const f of ruleFiles) used.push({ file: f.name, kind: 'rules', what: `${rescoped.rules.filter((r) => r.where.startsWith(`${f.name}:`)).length} rule(s)` });

  const kmsgs: KmsgFacts[] = of('kmsg').map((f) => {
    const k = parseKmsg(f, ignored);
    used.push({ file: f.name, kind: 'kmsg', what: `${k.backlogExceeded.length} backlog-limit line(s), ${k.lost.length} audit_lost line(s), ${k.oomKills.length} OOM kill(s)` });
    return k;
  });
  const kmsg: KmsgFacts = kmsgs.reduce((a, b) => ({
    backlogExceeded: [...a.backlogExceeded, ...b.backlogExceeded], lost: [...a.lost, ...b.lost], backlogOver: [...a.backlogOver, ...b.backlogOver],
    rateLimitExceeded: [...a.rateLimitExceeded, ...b.rateLimitExceeded], queueOverflow: [...a.queueOverflow, ...b.queueOverflow],
    oomInvoked: [...a.oomInvoked, ...b.oomInvoked], oomKills: [...a.oomKills, ...b.oomKills], oomTasks: [...a.oomTasks, ...b.oomTasks],
    otherAudit: a.otherAudit + b.otherAudit, unrelated: a.unrelated + b.unrelated,
  }), { backlogExceeded: [], lost: [], backlogOver: [], rateLimitExceeded: [], queueOverflow: [], oomInvoked: [], oomKills: [], oomTasks: [], otherAudit: 0, unrelated: 0 });

  let mem: MeminfoFacts = {};
  for (const f of of('meminfo')) {
    const m = parseMeminfo(f, ignored);
    if (mem.memTotalBytes && m.memTotalBytes && mem.memTotalBytes.value !== m.memTotalBytes.value) {
      contradictions.push({ figure: 'MemTotal', used: { value: String(mem.memTotalBytes.value), source: mem.memTotalBytes.where }, ignored: { value: String(m.memTotalBytes.value), source: m.memTotalBytes.where }, why: 'two meminfo files from different machines? the first is used' });
      continue;
    }
    mem = { ...m, ...mem };
    used.push({ file: f.name, kind: 'meminfo', what: Object.keys(m).join(', ') });
  }
  const conf = new Map<string, Located<string>>();
  for (const f of of('auditd-conf')) {
    for (const [k, v] of parseAuditdConf(f, ignored)) conf.set(k, v);
    used.push({ file: f.name, kind: 'auditd-conf', what: `${conf.size} key(s)` });
  }
  const noteFigures = of('notes').length ? parseNotes(of('notes')) : emptyNoteFacts();
  // the daemon's own overload messages also turn up in a journal excerpt next to kernel lines
  const kmsgMessages = parseNotes(of('kmsg'));
  noteFigures.pluginQueueFull.push(...kmsgMessages.pluginQueueFull);
  noteFigures.memoryLimitHit.push(...kmsgMessages.memoryLimitHit);
  for (const f of of('notes')) {
    notes.push(...f.lines.filter((l) => l.trim()).slice(0, 40));
    const n = Object.values(parseNotes([f])).reduce((a, b) => a + b.length, 0);
    used.push({ file: f.name, kind: 'notes', what: n ? `free text: ${n} figure(s) read with their units (below, each with its line)` : 'free text: shown; no figure in it' });
  }
  const logFiles = of('audit-log');
  const log = parseAuditLogs(logFiles, ignored, contradictions);
  if (logFiles.length) {
    if (log) used.push({ file: logFiles.map((f) => f.name).join(', '), kind: 'audit-log', what: `${log.events} events, ${log.records} records over ${Math.round(log.spanSec)} s${log.enriched ? ' (ENRICHED)' : ''}` });
    else for (const f of logFiles) ignored.push({ where: f.name, why: 'no audit record could be read' });
  }

  const bundle = { dir, used, ignored, contradictions, notes, noteFigures };
  const informative = used.filter((u) => u.kind !== 'notes');
  if (informative.length === 0) {
    throw new UnusableBundleError({ bundle }, files.files.length === 0 && files.ignored.length === 0
      ? `${dir} is empty: a bundle needs at least one of auditctl -s, auditctl -l (or a rules file), an audit.log excerpt, dmesg/journal lines, /proc/meminfo, auditd.conf`
      : `nothing in ${dir} could be used (${files.files.length} file(s) read, ${ignored.length} ignored item(s)); see the list of what was ignored and why`);
  }

  // ---- kernel settings: the live status wins over a rules file's control lines over dmesg ------
  const lastLost = kmsg.lost[kmsg.lost.length - 1];
  const blFromKmsg = lastLost?.backlogLimit != null ? { value: lastLost.backlogLimit, where: lastLost.where }
    : kmsg.backlogOver.length ? { value: kmsg.backlogOver[0].limit, where: kmsg.backlogOver[0].where } : undefined;
  const preferWhy = 'auditctl -s is the state when the bundle was taken; a rules file\'s -b is what boot set, dmesg what held during the incident';
  const bl = pick('backlog_limit', [{ v: status.backlogLimit, label: 'status' }, { v: rescoped.settings.backlogLimit, label: 'rules' }, { v: blFromKmsg, label: 'kmsg' }], contradictions, preferWhy);
  const rl = pick('rate_limit', [{ v: status.rateLimit, label: 'status' }, { v: rescoped.settings.rateLimit, label: 'rules' }], contradictions, preferWhy);
  const fl = pick('failure', [{ v: status.failure, label: 'status' }, { v: rescoped.settings.failure, label: 'rules' }], contradictions, preferWhy);
  const en = pick('enabled', [{ v: status.enabled, label: 'status' }, { v: rescoped.settings.enabled, label: 'rules' }], contradictions, preferWhy);
  const bwt = pick('backlog_wait_time', [{ v: status.backlogWaitTime, label: 'status' }, { v: rescoped.settings.backlogWaitTime, label: 'rules' }], contradictions, preferWhy);
  let bwtFig: Figure<number>;
  if (bwt) {
    // jiffies of the field kernel, whose HZ we do not know: 60*HZ for the common HZ values is the default 60 s
    const hz = [1000, 300, 250, 100].find((h) => bwt.value === 60 * h);
    bwtFig = fromFile(Math.round(bwt.value * 1000 / (hz ?? 1000)), bwt.where, hz ? `${bwt.value} jiffies = 60 s, the kernel default (HZ ${hz})` : `${bwt.value} jiffies, read at HZ 1000 (the field's HZ is not in the bundle)`);
  } else bwtFig = byDefault(60_000, 'the kernel default (60 s); not in the bundle (kernels before 4.x have no backlog_wait_time in auditctl -s)');
  const failure = fl ? (fl.value === 2
    ? fromFile(1, fl.where, 'the field ran failure 2 (panic); the run uses 1 (printk): it never panics this host')
    : fromFile(fl.value, fl.where)) : byDefault(1, 'the kernel default (printk)');
  const kernel: Derived['kernel'] = {
    backlogLimit: bl ? fromFile(bl.value, bl.where) : byDefault(64, 'the kernel default; distributions\' audit.rules usually raise it (-b 8192): send auditctl -s'),
    backlogWaitTimeMs: bwtFig,
    rateLimit: rl ? fromFile(rl.value, rl.where) : byDefault(0, 'no rate limit (the kernel default)'),
    failure,
    enabled: en ? fromFile(en.value, en.where, en.value === 2 ? 'enabled 2 (locked) on the field host; the run never locks' : undefined) : byDefault(1, 'audit was on (there are records)'),
    lostAtCollection: status.lost ? fromFile(status.lost.value, status.lost.where) : byDefault(null, 'auditctl -s not in the bundle'),
  };

  // ---- load --------------------------------------------------------------------------------
  const logSrc = log ? `${log.files.join(', ')} (${log.events} events)` : '';
  const loads = mapLoads(log, rescoped.rules);
  const added = coverRules(loads, rescoped.rules);
  const defaultRate = 2000;
  const load: Derived['load'] = log ? {
    meanEventsPerSec: fromFile(log.meanEventsPerSec, logSrc, 'events / seconds spanned by their timestamps'),
    medianEventsPerSec: fromFile(log.medianEventsPerSec, logSrc),
    peakEventsPerSec: fromFile(log.peakEventsPerSec, logSrc, 'the busiest one-second bin'),
    spanSec: fromFile(log.spanSec, logSrc),
    recordsPerEvent: fromFile(log.meanRecordsPerEvent, logSrc, 'records on disk per event (EOE is not written to disk)'),
    eventBytes: fromFile(log.meanEventBytes, logSrc, 'bytes on disk per event, interpreted (0x1D) part excluded'),
    recordMix: fromFile(log.recordsByType, logSrc),
    bursts: fromFile(log.bursts, logSrc, 'seconds above 3x the median rate, merged'),
    perSecond: log.perSecond,
    loads,
  } : {
    meanEventsPerSec: byDefault(defaultRate, 'no audit.log excerpt: a moderate 2,000 events/s'),
    medianEventsPerSec: byDefault(defaultRate, 'no audit.log excerpt'),
    peakEventsPerSec: byDefault(defaultRate, 'no audit.log excerpt'),
    spanSec: byDefault(600, 'no audit.log excerpt: ten minutes'),
    recordsPerEvent: byDefault(4, 'SYSCALL, CWD, PATH, PROCTITLE'),
    eventBytes: byDefault(800, 'a typical openat event'),
    recordMix: byDefault({}, 'no audit.log excerpt'),
    bursts: byDefault([], 'no audit.log excerpt'),
    perSecond: [],
    loads: loads.map((l) => ({ ...l, eventsPerSec: defaultRate * l.share })),
  };

  // ---- daemon --------------------------------------------------------------------------------
  const cf = (key: string, dflt: string, note: string, map = (v: string) => v): Figure<string> => {
    const v = conf.get(key);
    return v ? fromFile(map(v.value), v.where) : byDefault(dflt, note);
  };
  const lower = (v: string) => v.toLowerCase();
  const freqV = conf.get('freq');
  const qd = conf.get('q_depth');
  const notApplied = [...conf.keys()].filter((k) => !['flush', 'freq', 'q_depth', 'overflow_action', 'disk_full_action', 'disk_error_action', 'dispatcher', 'disp_qos'].includes(k));
  const daemon: Derived['daemon'] = {
    flush: cf('flush', 'incremental_async', 'auditd 3.x default', lower),
    freq: freqV && /^\d+$/.test(freqV.value) ? fromFile(Number(freqV.value), freqV.where) : byDefault(50, 'auditd 3.x default'),
    qDepth: qd && /^\d+$/.test(qd.value) ? fromFile(Number(qd.value), qd.where) : byDefault(2000, 'auditd 3.x default (Debian ships 1200)'),
    overflowAction: cf('overflow_action', 'syslog', 'auditd default: drop and warn', lower),
    diskFullAction: cf('disk_full_action', 'suspend', 'auditd default', lower),
    diskErrorAction: cf('disk_error_action', 'suspend', 'auditd default', lower),
    dispatcher: conf.get('dispatcher') ? fromFile(conf.get('dispatcher')!.value, conf.get('dispatcher')!.where, 'auditd 2.x: events went through audispd to its plugins')
      : byDefault(null, 'no dispatcher line (auditd 3.x runs plugins itself)'),
    notApplied,
  };

  // ---- memory and symptom ------------------------------------------------------------------
  const daemonTask = kmsg.oomTasks.find((t) => DAEMON_NAMES.test(t.name) && t.name !== 'kauditd');
  const noteFig = <T>(f: NoteFigure<T> | undefined, note?: string): Figure<T> | undefined => (f ? fromFile(f.value, f.where, `notes: ${f.read}${note ? `; ${note}` : ''}`) : undefined);
  const hostMemNote = noteFig(noteFigures.hostMemoryBytes[0]);
  const memory: Derived['memory'] = {
    totalBytes: overrides.memoryBytes !== undefined ? fromFile(overrides.memoryBytes, 'flag --memory') : hostMemNote && !mem.memTotalBytes ? hostMemNote : mem.memTotalBytes ? fromFile(mem.memTotalBytes.value, mem.memTotalBytes.where) : byDefault(DEFAULT_MEMORY, 'no /proc/meminfo: 2 GiB, a small VM'),
    availableBytes: overrides.memoryBytes !== undefined ? fromFile(overrides.memoryBytes, 'flag --memory') : hostMemNote && !mem.memTotalBytes ? fromFile(Math.round(hostMemNote.value * 0.8), hostMemNote.source, `${hostMemNote.note}; 80% of it available (default)`) : mem.memAvailableBytes ? fromFile(mem.memAvailableBytes.value, mem.memAvailableBytes.where)
      : mem.memTotalBytes ? fromFile(Math.round(mem.memTotalBytes.value * 0.8), mem.memTotalBytes.where, 'no MemAvailable (kernels before 3.14): 80% of MemTotal')
        : byDefault(Math.round(DEFAULT_MEMORY * 0.8), 'no /proc/meminfo: 80% of 2 GiB'),
    daemonRssAtOomBytes: daemonTask ? fromFile(daemonTask.rssBytes, daemonTask.where, `${daemonTask.name} in the OOM report's task list (rss pages x 4 KiB)`)
      : noteFigures.daemonRssBytes.length ? noteFig(noteFigures.daemonRssBytes[0]) as Figure<number>
        : noteFigures.memoryLimitHit.length ? fromFile(noteFigures.memoryLimitHit[0].value, noteFigures.memoryLimitHit[0].where, noteFigures.memoryLimitHit[0].read)
          : byDefault(null, 'no OOM task list naming the audit daemon, no RSS figure in the notes'),
  };
  const kinds: Symptom[] = [];
  const memEvidence: string[] = [];
  if (kmsg.oomKills.length || kmsg.oomInvoked.length) memEvidence.push(`${kmsg.oomKills.length} OOM kill(s) (${kmsg.oomKills.concat([]).slice(0, 1).map((k) => k.where).join('')})`);
  if (daemonTask && daemonTask.rssBytes > memory.totalBytes.value * 0.25) memEvidence.push(`${daemonTask.name} held ${(daemonTask.rssBytes / 1048576).toFixed(0)} MiB (${daemonTask.where})`);
  else if (!daemonTask && noteFigures.daemonRssBytes.length && noteFigures.daemonRssBytes[0].value > memory.totalBytes.value * 0.25) memEvidence.push(`the notes give the daemon ${(noteFigures.daemonRssBytes[0].value / 1048576).toFixed(0)} MiB (${noteFigures.daemonRssBytes[0].where})`);
  if (noteFigures.memoryLimitHit.length) memEvidence.push(`a watchdog's memory limit hit (${noteFigures.memoryLimitHit[0].where})`);
  if (!kmsg.oomKills.length && noteFigures.killed.length) memEvidence.push(`the notes name ${[...new Set(noteFigures.killed.map((k) => k.value))].join(', ')} as killed (${noteFigures.killed[0].where})`);
  if (memEvidence.length) kinds.push('memory');
  const lostDelta = kmsg.lost.length >= 2 ? Math.max(0, kmsg.lost[kmsg.lost.length - 1].lost - kmsg.lost[0].lost) : kmsg.lost.length === 1 ? kmsg.lost[0].lost : null;
  if (kmsg.backlogExceeded.length || (lostDelta ?? 0) > 0 || kmsg.queueOverflow.length || noteFigures.pluginQueueFull.length) kinds.push('loss');

  // What held the field daemon back, how much it drained, and what was offered to it
  const drainModel = deriveDrain({
    log, logSrc, lostDelta, lostWhere: kmsg.lost.length ? kmsg.lost[kmsg.lost.length - 1].where : null, conf, notes: noteFigures, overrides,
    kinds, recordsPerEvent: load.recordsPerEvent.value, eventBytes: load.eventBytes.value,
  });
  const fraction = Math.min(1, drainModel.drainEventsPerSec.value / Math.max(1e-9, drainModel.offeredPeakEventsPerSec.value));
  const drain: Figure<number> = fromFile(fraction, `${drainModel.drainEventsPerSec.source}; ${drainModel.offeredPeakEventsPerSec.source}`,
    `drain ${Math.round(drainModel.drainEventsPerSec.value)} events/s over offered ${Math.round(drainModel.offeredPeakEventsPerSec.value)} events/s (see Drain)`);
  const symptom: Derived['symptom'] = {
    kinds: kinds.length ? fromFile(kinds, [...memEvidence, kinds.includes('loss') ? `${kmsg.backlogExceeded.length + kmsg.backlogOver.length} backlog-limit line(s), audit_lost delta ${lostDelta ?? 0}${noteFigures.pluginQueueFull.length ? `, ${noteFigures.pluginQueueFull.length} plugin-queue-full line(s) (${noteFigures.pluginQueueFull[0].where})` : ''}` : ''].filter(Boolean).join('; '))
      : byDefault<Symptom[]>(['memory'], 'no OOM report or loss line in the bundle: checking for runaway memory (the report is about an OOM)'),
    oomKills: kmsg.oomKills.map((k) => ({ pid: k.pid, name: k.name, where: k.where })),
    kernelLostDuringExcerpt: lostDelta !== null ? fromFile(lostDelta, kmsg.lost.map((l) => l.where).slice(-1)[0], kmsg.lost.length >= 2 ? 'last audit_lost minus first' : 'the only audit_lost value') : byDefault(null, 'no audit_lost lines'),
    // "backlog limit exceeded" and "audit_backlog=N > audit_backlog_limit=M" report the same overflow
    backlogExceededLines: kmsg.backlogExceeded.length + kmsg.backlogOver.length,
    drainFraction: drain,
    daemonName: daemonTask?.name ?? null,
    pluginQueueFullLines: noteFigures.pluginQueueFull.length,
  };
  return {
    bundle, kernel,
    rules: { rules: rescoped.rules, added, source: ruleFiles.length ? ruleFiles.map((f) => f.name).join(', ') : 'default: no rules in the bundle (auditctl -l or audit.rules)' },
    load, daemon, memory, symptom, drain: drainModel,
  };
}

export type { BundleFile };
