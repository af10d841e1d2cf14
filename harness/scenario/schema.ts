// The scenario file's schema (zod 4). Keys in the YAML are snake_case; the parsed Scenario is
// camelCase with units in the names (durationMs, memoryLimitBytes). Every error message says
// what is allowed: load-scenario.ts adds the file, line:col, field path and the value found.
import { z } from 'zod';
import { GENERATOR_NAMES, generatorOptions, intIn, mapping, numberIn, size, type GeneratorName, type GeneratorOptions } from '../../loads/generators/options.ts';
import type { Rate, Shape } from '../../loads/generators/shape.ts';
import { BYTE_RATE_JSON_SCHEMA, DURATION_JSON_SCHEMA, formatDuration, parseByteRate, parseDuration, UnitError } from './units.ts';
import { DAEMONS, LOG_FORMATS, POLICIES, type DaemonName, type LogFormat, type Policy } from './names.ts';

const MAX_BACKLOG_WAIT_MS = 10 * 60 * 1000; // the kernel's EINVAL bound
const U32_MAX = 4294967295;

function unit<T>(parse: (v: unknown) => T, jsonSchema: Record<string, unknown>) {
  return z.any().transform((v, ctx) => {
    try {
      return parse(v);
    } catch (err) {
      if (!(err instanceof UnitError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message });
      return z.NEVER;
    }
  }).meta(jsonSchema);
}

/** A duration in ms within [minMs, maxMs]. */
const duration = (minMs = 0, maxMs = Number.MAX_SAFE_INTEGER) =>
  unit(parseDuration, DURATION_JSON_SCHEMA).refine((ms) => ms >= minMs && ms <= maxMs, {
    error: `a duration from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`,
  });

const rate = z.union([z.literal('max'), z.number().gt(0)], {
  error: 'a rate in operations per second per process (a number > 0) or "max"',
});

// ---- loads -----------------------------------------------------------------------------------

const shapeSchema = z.union([
  z.literal('steady').transform((): Shape => ({ kind: 'steady' })),
  z.discriminatedUnion('kind', [
    mapping('a steady shape', { kind: z.literal('steady') }).transform((): Shape => ({ kind: 'steady' })),
    mapping('a ramp shape', {
      kind: z.literal('ramp'),
      from: numberIn(0, 1e9, 'a start rate (operations/s per process, >= 0)'),
      to: numberIn(0, 1e9, 'an end rate (operations/s per process, >= 0)'),
      over: duration(1).optional(),
    }).transform((s): Shape => ({ kind: 'ramp', from: s.from, to: s.to, overMs: s.over })),
    mapping('a square shape', {
      kind: z.literal('square'),
      low: rate,
      high: rate,
      period: duration(2),
      duty: numberIn(0, 1, 'the fraction of each period at the high rate, between 0 and 1 (exclusive)', true)
        .refine((d) => d < 1, { error: 'the fraction of each period at the high rate, between 0 and 1 (exclusive)' })
        .default(0.5),
    }).transform((s): Shape => ({ kind: 'square', low: s.low, high: s.high, periodMs: s.period, duty: s.duty })),
    mapping('a burst shape', {
      kind: z.literal('burst'),
      every: duration(1),
      for: duration(1),
      rate,
      first: duration().optional(),
    }).transform((s): Shape => ({ kind: 'burst', everyMs: s.every, forMs: s.for, rate: s.rate, firstMs: s.first ?? s.every - s.for }))
      .refine((s) => s.kind !== 'burst' || s.forMs < s.everyMs, { error: 'a burst\'s `for` must be shorter than its `every`' }),
  ], { error: 'a shape kind: steady, ramp, square or burst' }),
], { error: 'a shape: "steady", or a mapping {kind: ramp|square|burst, ...}' });

const loadCommon = {
  /** a label for reports; default GENERATOR-INDEX */
  name: z.string({ error: 'a label (text)' }).regex(/^[A-Za-z0-9._-]+$/, { error: 'a label of letters, digits, ".", "_" or "-"' })
    .max(64, { error: 'a label of at most 64 characters (it names scratch directories)' }).optional(),
  processes: intIn(1, 256, 'a number of processes from 1 to 256').default(1),
  rate: rate.default('max'),
  shape: shapeSchema.default({ kind: 'steady' }),
  duration: duration(1).optional(),
  /** operations per process */
  count: intIn(1, 1e12, 'a number of operations per process (>= 1)').optional(),
  /** delay after the run's start */
  start: duration().default(0),
  /** the rules need not audit this load (it is background work); its operations are then not
   *  counted as generated */
  allow_unaudited: z.boolean({ error: 'true or false' }).default(false),
};

const loadVariants = GENERATOR_NAMES.map((g) =>
  mapping(`a load (generator ${g})`, {
    generator: z.literal(g),
    ...loadCommon,
    options: (generatorOptions[g] as z.ZodType).prefault({}),
  }));

const loadSchema = z.discriminatedUnion('generator', loadVariants as unknown as [typeof loadVariants[0], ...typeof loadVariants], {
  error: `a load: a mapping whose \`generator\` is one of ${GENERATOR_NAMES.join(', ')}`,
});

// ---- faults (the kinds and their options; the runner applies them) ------------------

const repeat = mapping('a repeat', {
  every: duration(1),
  /** how many times in all, counting the first */
  times: intIn(1, 100_000, 'a number of times from 1 (>= 1)'),
});
const faultBase = {
  at: duration().default(0),
  repeat: repeat.optional(),
};
const windowFor = duration(1);
/** stall-daemon and crash act on the registered daemon, or on a process the command daemon names
 *  in daemon.processes (a collector, a forwarder): its supervisor restarts it, not the harness */
const processName = z.string({ error: 'a process name from daemon.processes' }).regex(/^[A-Za-z0-9._-]+$/, { error: 'a process name from daemon.processes (letters, digits, ".", "_", "-")' }).optional();
const FAULT_KINDS = ['stall-daemon', 'slow-disk', 'freeze-fs', 'disk-full', 'crash', 'cpu-starve',
  'memory-squeeze', 'plugin-stall', 'late-start', 'burst'] as const;

const faultSchema = z.discriminatedUnion('kind', [
  /** SIGSTOP the daemon, SIGCONT after `for` */
  mapping('a stall-daemon fault', { kind: z.literal('stall-daemon'), ...faultBase, for: windowFor, process: processName }),
  /** the log's writes go at `rate` and/or take `latency` more each (for: omitted = until the end) */
  mapping('a slow-disk fault', {
    kind: z.literal('slow-disk'), ...faultBase, for: windowFor.optional(),
    rate: unit(parseByteRate, BYTE_RATE_JSON_SCHEMA).refine((r) => r >= 4096, { error: 'a write rate of at least 4KiB/s' }).optional(),
    /** added to every write, as field reports give it ("writes above 200 ms") */
    latency: duration(1, 60_000).optional(),
    method: z.enum(['auto', 'fuse', 'blkio-throttle', 'io-max', 'dm-delay'], { error: 'one of auto, fuse, blkio-throttle, io-max, dm-delay' }).default('auto'),
  }).refine((f) => f.rate !== undefined || f.latency !== undefined, { error: 'a slow-disk needs a rate (SIZE/s), a latency (per write), or both' })
    .refine((f) => f.latency === undefined || f.method === 'auto' || f.method === 'fuse', { path: ['latency'], error: 'latency needs method auto or fuse (the cgroup throttles only limit the rate)' }),
  /** fsfreeze the log's filesystem, thaw after `for` */
  mapping('a freeze-fs fault', { kind: z.literal('freeze-fs'), ...faultBase, for: windowFor }),
  /** fill the log's filesystem leaving `leave` free; free it after `for` (omitted = at the end) */
  mapping('a disk-full fault', {
    kind: z.literal('disk-full'), ...faultBase, for: windowFor.optional(),
    leave: size(0, Number.MAX_SAFE_INTEGER, 'space left free').default(0),
  }),
  /** SIGKILL the daemon; restart it after `restart_after` ("never": leave it dead) */
  mapping('a crash fault', {
    kind: z.literal('crash'), ...faultBase, process: processName,
    restart_after: z.union([z.literal('never'), duration()], { error: 'a duration, or "never"' }).default(1000),
  }),
  /** cap the daemon's CPU to `cpu` cores (0.1 = a tenth of one core) */
  mapping('a cpu-starve fault', {
    kind: z.literal('cpu-starve'), ...faultBase, for: windowFor.optional(),
    cpu: numberIn(0.001, 64, 'a CPU share in cores, from 0.001 to 64 (0.1 = a tenth of one core)'),
  }),
  /** lower the daemon's cgroup memory limit to `memory_limit` */
  mapping('a memory-squeeze fault', {
    kind: z.literal('memory-squeeze'), ...faultBase, for: windowFor.optional(),
    memory_limit: size(4 * 1024 * 1024, Number.MAX_SAFE_INTEGER, 'memory limit'),
  }),
  /** SIGSTOP the daemon's dispatcher plugin(s), SIGCONT after `for` */
  mapping('a plugin-stall fault', {
    kind: z.literal('plugin-stall'), ...faultBase, for: windowFor,
    plugin: z.string({ error: 'a plugin name (its plugins.d file name without .conf)' }).optional(),
  }),
  /** start the daemon `at` after the load began (the boot burst); no for, no repeat */
  mapping('a late-start fault', { kind: z.literal('late-start'), at: duration(1) }),
  /** an extra load on top of the steady one, for `for` */
  mapping('a burst fault', {
    kind: z.literal('burst'), ...faultBase, for: windowFor,
    generator: z.enum(GENERATOR_NAMES, { error: `a generator: ${GENERATOR_NAMES.join(', ')}` }),
    processes: loadCommon.processes,
    rate: loadCommon.rate,
    options: z.record(z.string(), z.unknown()).default({}),
  }),
], { error: `a fault: a mapping whose \`kind\` is one of ${FAULT_KINDS.join(', ')}` })
  .superRefine((f, ctx) => {
    if ('repeat' in f && f.repeat && 'for' in f && f.for !== undefined && f.repeat.every <= f.for) {
      ctx.addIssue({ code: 'custom', path: ['repeat', 'every'], message: `repeat.every must be longer than for (${formatDuration(f.for)}): windows of one fault must not overlap` });
    }
    if (f.kind === 'burst') {
      const r = generatorOptions[f.generator].safeParse(f.options);
      if (!r.success) {
        for (const iss of r.error.issues) ctx.addIssue({ code: 'custom', path: ['options', ...iss.path as (string | number)[]], message: iss.message });
      }
    }
  });

// ---- daemon, kernel, expect --------------------------------------------------------------------


const jsonPath = z.string({ error: 'a field name or dotted path, e.g. sequence or event.serial' })
  .regex(/^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*$/, { error: 'a field name or dotted path, e.g. sequence or event.serial' });

const confMap = z.record(
  z.string().regex(/^[a-z_][a-z0-9_]*$/, { error: 'auditd.conf keys are lower-case words with "_"' }),
  z.union([
    // a newline would add a line of its own to the generated auditd.conf
    z.string().max(4096, { error: 'a value of at most 4096 characters' })
      .regex(/^[^\x00-\x1f\x7f]*$/, { error: 'one line of text: no newline, tab or other control character (it would inject a line into the generated auditd.conf)' }),
    z.number().refine(Number.isFinite, { error: 'a finite number (not .inf or .nan)' }),
    z.boolean(),
  ], { error: 'a text, number or boolean value' }),
  { error: 'a mapping of auditd.conf keys to values, e.g. {flush: sync, freq: 0}' },
);

const daemonSchema = mapping('daemon', {
  name: z.enum(DAEMONS, { error: 'one of tsauditd, auditd, command' }).default('tsauditd'),
  /** tsauditd's queue_overflow policy; ignored by the other daemons */
  policy: z.enum(POLICIES, { error: 'one of block, drop, unbounded' }).default('block'),
  memory_limit: size(16 * 1024 * 1024, Number.MAX_SAFE_INTEGER, 'memory limit').default(512 * 1024 * 1024),
  oom_score_adj: intIn(-1000, 1000, 'an integer from -1000 to 1000 (lowering needs CAP_SYS_RESOURCE)').optional(),
  bystanders: mapping('bystanders', {
    count: intIn(0, 64, 'a number of bystander processes from 0 to 64').default(0),
    /** memory each bystander touches and holds */
    size: size(1024 * 1024, 64 * 1024 ** 3, 'bystander size').default(16 * 1024 * 1024),
    oom_score_adj: intIn(-1000, 1000).default(1000),
  }).default({ count: 0, size: 16 * 1024 * 1024, oom_score_adj: 1000 }),
  /** auditd.conf keys written into the daemon's generated config (both daemons read this syntax) */
  config: confMap.default({}),
  /** keys for one daemon only, merged over `config` when that daemon runs (e.g. tsauditd's
   *  queue_hwm: Debian's auditd refuses to start on a key it does not know) */
  config_for: mapping('config_for', {
    tsauditd: confMap.optional(),
    auditd: confMap.optional(),
    command: confMap.optional(),
  }).default({}),
  /** for `command`: the command line that registers as the audit daemon */
  command: z.union([z.string().min(1), z.array(z.string()).min(1)], { error: 'a command line (text or list of words)' }).optional(),
  /** for `command`: the path of the log it writes (default @LOGDIR@/audit.log; @LOGDIR@ and
   *  @CONFDIR@ are directories the harness makes for the run, see docs/daemons.md) */
  log: z.string({ error: 'a path to the daemon\'s log file' }).min(1).optional(),
  /** for `command`: the log's line format: RAW audit lines, or ENRICHED (RAW, then 0x1D and
   *  interpreted fields), as auditd's log_format writes them */
  log_format: z.enum(LOG_FORMATS, { error: `one of ${LOG_FORMATS.join(', ')}` }).optional(),
  /** for log_format json: the daemon's field names (dotted paths), see docs/daemons.md */
  json: mapping('json', {
    serial: jsonPath.describe('the event serial: a number, or "SEC.MSEC:SERIAL"'),
    type: jsonPath.describe('the record type: a number (1300) or a name (SYSCALL)'),
    time: jsonPath.optional(),
    records: jsonPath.optional(),
    body: jsonPath.optional(),
  }).optional(),
  /** for `command`: other processes of the setup by name -> pid file, for faults with `process:` */
  processes: z.record(z.string().regex(/^[A-Za-z0-9._-]+$/, { error: 'a process name (letters, digits, ".", "_", "-")' }),
    z.string({ error: 'a pid file path (may use @CONFDIR@)' }).min(1)).optional(),
  /** for `command`: a JSON stats file it writes, read for `events: { droppedQueueFull, notWritten }` */
  stats: z.string({ error: 'a path to the daemon\'s JSON stats file' }).min(1).optional(),
});

const kernelSchema = mapping('kernel', {
  backlog_limit: intIn(1, U32_MAX, `an integer from 1 to ${U32_MAX}`).default(8192),
  backlog_wait_time: duration(0, MAX_BACKLOG_WAIT_MS).default(60_000),
  rate_limit: intIn(0, U32_MAX, 'records per second, 0 for no limit').default(0),
  failure: z.union([z.literal(0), z.literal(1)], {
    error: (iss) => (iss.input === 2
      ? 'failure 2 is refused: it panics the kernel on the first lost record; use 0 (silent) or 1 (printk)'
      : 'failure mode 0 (silent) or 1 (printk); 2 (panic) is refused'),
  }).default(1),
});

const expectSchema = mapping('expect', {
  /** peak daemon RSS; "hwm": derived from the daemon's queue high-water mark */
  peak_rss_max: z.union([z.literal('hwm'), size(1)], { error: 'a size (e.g. 256MiB) or "hwm"' }).optional(),
  rss_slope_max: unit(parseByteRate, BYTE_RATE_JSON_SCHEMA).optional(),
  /** ignore this much of the start when fitting the RSS slope */
  warmup: duration().optional(),
  oom_kills_max: intIn(0, 1e9, 'an integer >= 0').optional(),
  silent_loss_max: intIn(0, 1e12, 'an integer >= 0').optional(),
  /** all loss, counted or not; incomplete_max and unexpected_max default to 0 with silent_loss_max */
  loss_max: intIn(0, 1e12, 'an integer >= 0').optional(),
  incomplete_max: intIn(0, 1e12, 'an integer >= 0').optional(),
  unexpected_max: intIn(0, 1e12, 'an integer >= 0').optional(),
  kernel_lost_max: intIn(0, 1e12, 'an integer >= 0').optional(),
  throughput_min: numberIn(0, 1e12, 'events per second (a number >= 0)').optional(),
  backlog_wait_max: duration().optional(),
  /** `auditstorm baseline check` tolerances, e.g. { peak_rss: +10%, events_per_sec: -10% } */
  tolerance: z.partialRecord(z.enum(['peak_rss', 'events_per_sec', 'kernel_lost', 'silent_loss', 'backlog_wait', 'oom_kills']),
    z.union([z.string(), z.number()]), { error: 'a map of figure -> tolerance, e.g. peak_rss: +10%' }).optional(),
}).default({});

// ---- the whole file ------------------------------------------------------------------------------

export const scenarioFileSchema = mapping('a scenario', {
  name: z.string({ error: 'a scenario name: lower-case letters, digits and "-"' })
    .regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'a scenario name: lower-case letters, digits and "-"' })
    .max(64, { error: 'a scenario name of at most 64 characters (it names the results directory)' }),
  description: z.string({ error: 'a one-line description (text)' }).min(1, { error: 'a one-line description (text)' })
    .max(1000, { error: 'a one-line description of at most 1000 characters' }),
  duration: duration(1000, 30 * 86_400_000),
  seed: intIn(0, U32_MAX, `an integer from 0 to ${U32_MAX}`).optional(),
  kernel: kernelSchema.default({ backlog_limit: 8192, backlog_wait_time: 60_000, rate_limit: 0, failure: 1 }),
  rules: z.string({ error: 'a rule file in rules/ (e.g. openat-storm.rules) or a path relative to the scenario' })
    .regex(/\.rules$/, { error: 'a rule file name ending in .rules' }),
  daemon: daemonSchema,
  loads: z.array(loadSchema, { error: 'a list of loads' }).min(1, { error: 'at least one load' }),
  faults: z.array(faultSchema, { error: 'a list of faults (may be empty: [])' }).default([]),
  expect: expectSchema,
}).superRefine((s, ctx) => {
  if (s.daemon.name === 'command') {
    if (!s.daemon.command) ctx.addIssue({ code: 'custom', path: ['daemon', 'command'], message: 'required when daemon.name is command: the command line to run' });
    if (s.daemon.log_format === 'json' && !s.daemon.json) ctx.addIssue({ code: 'custom', path: ['daemon', 'json'], message: 'required with log_format json: the field names, e.g. {serial: sequence, type: type, records: messages, body: data}' });
    if (s.daemon.json && s.daemon.log_format !== 'json') ctx.addIssue({ code: 'custom', path: ['daemon', 'json'], message: 'only with log_format json' });
  } else {
    for (const key of ['command', 'log', 'log_format', 'json', 'processes', 'stats'] as const) {
      if (s.daemon[key] !== undefined) ctx.addIssue({ code: 'custom', path: ['daemon', key], message: `only for daemon.name command (this is ${s.daemon.name}); remove it` });
    }
  }
  s.loads.forEach((l, i) => {
    if (l.duration !== undefined && l.count !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['loads', i, 'count'], message: 'give duration or count, not both' });
    }
    if (l.shape.kind === 'ramp' && l.shape.overMs === undefined && l.count !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['loads', i, 'shape'], message: 'a ramp in a load with a count needs `over` (a duration)' });
    }
    if (l.shape.kind !== 'steady' && l.rate !== 'max' && l.shape.kind !== 'burst') {
      // ramp and square carry their own rates; a `rate` next to them would be silently ignored
      ctx.addIssue({ code: 'custom', path: ['loads', i, 'rate'], message: `a ${l.shape.kind} shape sets its own rates; remove rate` });
    }
    if (l.start >= s.duration) {
      ctx.addIssue({ code: 'custom', path: ['loads', i, 'start'], message: `must be before the end of the run (${formatDuration(s.duration)})` });
    }
  });
  s.faults.forEach((f, i) => {
    if ('process' in f && f.process !== undefined && !(s.daemon.processes && f.process in s.daemon.processes)) {
      const names = Object.keys(s.daemon.processes ?? {});
      ctx.addIssue({ code: 'custom', path: ['faults', i, 'process'], message: `no process "${f.process}" in daemon.processes (${names.length ? `have: ${names.join(', ')}` : 'none: only a command daemon names processes'})` });
    }
    if (f.at >= s.duration) {
      ctx.addIssue({ code: 'custom', path: ['faults', i, 'at'], message: `must be before the end of the run (${formatDuration(s.duration)})` });
    }
  });
  if (s.faults.filter((f) => f.kind === 'late-start').length > 1) {
    ctx.addIssue({ code: 'custom', path: ['faults'], message: 'at most one late-start fault' });
  }
});

export type ScenarioFile = z.input<typeof scenarioFileSchema>;
type Parsed = z.output<typeof scenarioFileSchema>;
type ParsedLoad = Parsed['loads'][number];
type ParsedFault = Parsed['faults'][number];

// ---- the typed result the runner uses ------------------------------------------------------------

export type { DaemonName, Policy, LogFormat };
export type FaultKind = (typeof FAULT_KINDS)[number];
export { GENERATOR_NAMES, FAULT_KINDS, DAEMONS, POLICIES, LOG_FORMATS };

export type LoadSpec = {
  [G in GeneratorName]: {
    /** unique within the scenario */
    name: string;
    generator: G;
    processes: number;
    rate: Rate;
    shape: Shape;
    /** null: runs until the scenario's end (or its count) */
    durationMs: number | null;
    /** operations per process; null: runs for its duration */
    count: number | null;
    startMs: number;
    /** the rules may leave it unaudited; its operations are not counted as generated */
    allowUnaudited: boolean;
    options: GeneratorOptions[G];
  };
}[GeneratorName];

export interface FaultWindow {
  /** null: until the end of the run */
  forMs: number | null;
}
/** A fault as the schema gives it, snake_case option keys kept (they are the fault's own words). */
export type FaultSpec = ParsedFault & { index: number };

export interface Expect {
  peakRssMax: 'hwm' | number | null;
  rssSlopeMaxBytesPerSec: number | null;
  warmupMs: number;
  oomKillsMax: number | null;
  silentLossMax: number | null;
  lossMax: number | null;
  incompleteMax: number | null;
  unexpectedMax: number | null;
  kernelLostMax: number | null;
  throughputMin: number | null;
  backlogWaitMaxMs: number | null;
}

export interface Scenario {
  name: string;
  description: string;
  durationMs: number;
  seed: number;
  kernel: { backlogLimit: number; backlogWaitTimeMs: number; rateLimit: number; failure: 0 | 1 };
  /** as written, and resolved to an absolute path */
  rules: { file: string; path: string };
  daemon: {
    name: DaemonName;
    policy: Policy;
    memoryLimitBytes: number;
    /** null: the daemon's own default */
    oomScoreAdj: number | null;
    bystanders: { count: number; sizeBytes: number; oomScoreAdj: number };
    /** auditd.conf keys for the daemon that runs: `config` with `config_for[name]` merged over it */
    config: Record<string, string>;
    command: string[] | null;
    /** command: as written, placeholders kept (the adapter fills them in at start) */
    log: string | null;
    logFormat: LogFormat;
    /** log_format json: the daemon's field names */
    json: { serial: string; type: string; time?: string; records?: string; body?: string } | null;
    processes: Record<string, string>;
    stats: string | null;
  };
  loads: LoadSpec[];
  faults: FaultSpec[];
  expect: Expect;
  source: ScenarioSource;
}

export interface ScenarioOverrides {
  daemon?: DaemonName;
  policy?: Policy;
  /** a duration text ("30s") or milliseconds */
  duration?: string | number;
  /** the command daemon's command line (implies daemon command), its log and log format */
  command?: string;
  log?: string;
  logFormat?: LogFormat;
}

export interface ScenarioSource {
  /** absolute path of the file, or null when validated from text */
  path: string | null;
  /** the file's text, to write scenario.yaml as run */
  text: string;
  seedGenerated: boolean;
  overrides: ScenarioOverrides;
  /** things that are valid but probably not what was meant */
  warnings: string[];
}

function splitCommand(cmd: string | string[] | undefined): string[] | null {
  if (cmd === undefined) return null;
  return Array.isArray(cmd) ? cmd : cmd.trim().split(/\s+/);
}

/** Parsed file -> Scenario (seed, rules path and source filled by the caller). */
export function toScenario(p: Parsed, extra: { seed: number; rulesPath: string; source: ScenarioSource }): Scenario {
  const loads = p.loads.map((l: ParsedLoad, i: number) => ({
    name: l.name ?? `${l.generator}-${i}`,
    generator: l.generator,
    processes: l.processes,
    rate: l.rate,
    shape: l.shape,
    durationMs: l.duration ?? null,
    count: l.count ?? null,
    startMs: l.start,
    allowUnaudited: l.allow_unaudited,
    options: l.options,
  })) as LoadSpec[];
  return {
    name: p.name,
    description: p.description,
    durationMs: p.duration,
    seed: extra.seed,
    kernel: {
      backlogLimit: p.kernel.backlog_limit,
      backlogWaitTimeMs: p.kernel.backlog_wait_time,
      rateLimit: p.kernel.rate_limit,
      failure: p.kernel.failure,
    },
    rules: { file: p.rules, path: extra.rulesPath },
    daemon: {
      name: p.daemon.name,
      policy: p.daemon.policy,
      memoryLimitBytes: p.daemon.memory_limit,
      oomScoreAdj: p.daemon.oom_score_adj ?? null,
      bystanders: { count: p.daemon.bystanders.count, sizeBytes: p.daemon.bystanders.size, oomScoreAdj: p.daemon.bystanders.oom_score_adj },
      config: Object.fromEntries(Object.entries({ ...p.daemon.config, ...(p.daemon.config_for[p.daemon.name] ?? {}) })
        .map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v)])),
      command: splitCommand(p.daemon.command),
      log: p.daemon.log ?? null,
      logFormat: p.daemon.log_format ?? 'raw',
      json: p.daemon.json ?? null,
      processes: p.daemon.processes ?? {},
      stats: p.daemon.stats ?? null,
    },
    loads,
    faults: p.faults.map((f, index) => ({ ...f, index })),
    expect: {
      peakRssMax: p.expect.peak_rss_max ?? null,
      rssSlopeMaxBytesPerSec: p.expect.rss_slope_max ?? null,
      warmupMs: p.expect.warmup ?? Math.min(10_000, Math.floor(p.duration / 4)),
      oomKillsMax: p.expect.oom_kills_max ?? null,
      silentLossMax: p.expect.silent_loss_max ?? null,
      lossMax: p.expect.loss_max ?? null,
      incompleteMax: p.expect.incomplete_max ?? (p.expect.silent_loss_max !== undefined ? 0 : null),
      unexpectedMax: p.expect.unexpected_max ?? (p.expect.silent_loss_max !== undefined ? 0 : null),
      kernelLostMax: p.expect.kernel_lost_max ?? null,
      throughputMin: p.expect.throughput_min ?? null,
      backlogWaitMaxMs: p.expect.backlog_wait_max ?? null,
    },
    source: extra.source,
  };
}
