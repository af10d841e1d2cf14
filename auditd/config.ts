// auditd.conf for tsauditd: auditd's syntax (`key = value`, `#` comments, one pair a line), the
// auditd keys that apply to us, a list of auditd keys we accept and ignore, and our own keys
// (queue_*, stats_*, state_file, oom_score_adj, recv_*). Unknown keys and bad values are errors
// with file:line and a fix; nothing is silently defaulted past a typo.
import { statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { describeReadProblem, readTextFile, shorten } from '../harness/input/untrusted.ts';
import { parseSize, UnitError } from '../harness/scenario/units.ts';

export type LogFormatName = 'raw' | 'enriched';
export type FlushMode = 'none' | 'incremental' | 'incremental_async' | 'data' | 'sync';
export type DiskAction = 'ignore' | 'syslog' | 'rotate' | 'suspend' | 'halt';
export type MaxLogFileAction = 'ignore' | 'syslog' | 'suspend' | 'rotate' | 'keep_logs';
/** block: paced intake (lossless while the writer lives); drop: drop whole events past the HWM;
 *  unbounded: no limit (reproductions only); pause: stop reading at the HWM until the LWM (the
 *  old block, which makes kauditd drop records uncounted: reproductions only). */
export type QueueOverflow = 'block' | 'drop' | 'unbounded' | 'pause';
/** block, once the reserve is full too (the writer has stopped) */
export type QueueFullAction = 'drop' | 'suspend' | 'halt' | 'keep';
/** Plugin queue overflow (default for every plugin; plugins.d files may override). auditd's
 *  `ignore` and `syslog` both mean drop-and-count here; `block` pushes back to the main queue. */
export type PluginOverflow = 'drop' | 'block';

export interface SpaceSetting {
  /** MiB, or percent of the filesystem when `percent` */
  value: number;
  percent: boolean;
}

export interface DaemonConfig {
  /** the file it was read from, for messages */
  source: string;
  configDir: string;
  logFile: string;
  /** log_format: RAW lines, or ENRICHED (RAW, then 0x1D and the interpreted fields, as auditd) */
  logFormat: LogFormatName;
  /** group name or gid; null: log is 0600 root */
  logGroup: string | null;
  writeLogs: boolean;
  flush: FlushMode;
  freq: number;
  maxLogFileMiB: number;
  numLogs: number;
  maxLogFileAction: MaxLogFileAction;
  spaceLeft: SpaceSetting;
  spaceLeftAction: DiskAction;
  adminSpaceLeft: SpaceSetting;
  adminSpaceLeftAction: DiskAction;
  diskFullAction: DiskAction;
  diskErrorAction: DiskAction;
  pluginDir: string;
  qDepth: number;
  overflowAction: PluginOverflow;
  maxRestarts: number;
  // ours
  queueHwm: number;
  queueHwmBytes: number;
  queueLwm: number;
  queueOverflow: QueueOverflow;
  queueReserve: number;
  queueReserveBytes: number;
  queueFullAction: QueueFullAction;
  /** block: read a few records into the reserve when no credit came for this long */
  queueFloorMs: number;
  statsFile: string;
  statsIntervalMs: number;
  stateFile: string;
  /** null: leave it alone */
  oomScoreAdj: number | null;
  recvBufferBytes: number;
  recvBatch: number;
  /** auditd's priority_boost: how much the input thread lowers its nice value */
  priorityBoost: number;
}

export class ConfigError extends Error {
  constructor(message: string, readonly file: string, readonly line: number) {
    super(`${file}:${line}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** auditd 3.x keys tsauditd accepts so a stock auditd.conf loads, but does not act on. */
export const IGNORED_AUDITD_KEYS: readonly string[] = [
  'local_events', 'disp_qos', 'dispatcher', 'name_format', 'name',
  'action_mail_acct', 'verify_email', 'distribute_network', 'end_of_event_timeout',
  'tcp_listen_port', 'tcp_listen_queue', 'tcp_max_per_addr', 'use_libwrap', 'tcp_client_ports',
  'tcp_client_max_idle', 'transport', 'enable_krb5', 'krb5_principal', 'krb5_key_file',
];

const LOG_FORMATS: readonly LogFormatName[] = ['raw', 'enriched'];
const FLUSH: readonly FlushMode[] = ['none', 'incremental', 'incremental_async', 'data', 'sync'];
const DISK_ACTIONS: readonly DiskAction[] = ['ignore', 'syslog', 'rotate', 'suspend', 'halt'];
const MAX_LOG_ACTIONS: readonly MaxLogFileAction[] = ['ignore', 'syslog', 'suspend', 'rotate', 'keep_logs'];
const QUEUE_OVERFLOW: readonly QueueOverflow[] = ['block', 'drop', 'unbounded', 'pause'];
const QUEUE_FULL_ACTIONS: readonly QueueFullAction[] = ['drop', 'suspend', 'halt', 'keep'];
const PLUGIN_OVERFLOW = ['ignore', 'syslog', 'drop', 'block'] as const;

export function defaultConfig(configDir: string): DaemonConfig {
  const dir = resolve(configDir);
  return {
    source: join(dir, 'auditd.conf'),
    configDir: dir,
    logFile: join(dir, 'audit.log'),
    logFormat: 'raw',
    logGroup: null,
    writeLogs: true,
    flush: 'incremental_async',
    freq: 50,
    maxLogFileMiB: 8,
    numLogs: 5,
    maxLogFileAction: 'rotate',
    spaceLeft: { value: 75, percent: false },
    spaceLeftAction: 'syslog',
    adminSpaceLeft: { value: 50, percent: false },
    adminSpaceLeftAction: 'suspend',
    diskFullAction: 'suspend',
    diskErrorAction: 'suspend',
    pluginDir: join(dir, 'plugins.d'),
    qDepth: 2000,
    overflowAction: 'drop',
    maxRestarts: 10,
    queueHwm: 8192,
    queueHwmBytes: 16 * 1024 * 1024,
    queueLwm: 4096,
    queueOverflow: 'block',
    queueReserve: 4096,
    queueReserveBytes: 8 * 1024 * 1024,
    queueFullAction: 'drop',
    queueFloorMs: 2,
    statsFile: join(dir, 'tsauditd.stats.json'),
    statsIntervalMs: 100,
    stateFile: join(dir, 'tsauditd.state'),
    oomScoreAdj: -1000,
    recvBufferBytes: 8 * 1024 * 1024,
    recvBatch: 64,
    priorityBoost: 4,
  };
}

type Setter = (cfg: DaemonConfig, value: string, fail: (msg: string) => never) => void;

function intIn(value: string, min: number, max: number, fail: (m: string) => never, what = 'an integer'): number {
  if (!/^-?\d+$/.test(value)) fail(`${shorten(value)} is not ${what}`);
  const n = Number(value);
  if (n < min || n > max) fail(`${n} is out of range ${min}..${max}`);
  return n;
}

/** Sizes in bytes: a plain integer, or with a K/M/G suffix, binary as auditd.conf has them
 *  (16M = 16MiB), from min to max; the project's one size parser does the arithmetic. */
function bytes(value: string, min: number, fail: (m: string) => never, max = Number.MAX_SAFE_INTEGER): number {
  const m = /^(\d{1,20})\s*([KMG]i?B?)?$/i.exec(value);
  if (!m) fail(`${shorten(value)} is not a size (use bytes, or a number with K, M or G)`);
  const unit = m![2] ? `${m![2].charAt(0).toUpperCase()}iB` : 'B';
  let n = 0;
  try {
    n = parseSize(`${m![1]}${unit}`);
  } catch (err) {
    if (err instanceof UnitError) fail(`${shorten(value)}: ${err.message}`);
    throw err;
  }
  if (n < min) fail(`${value} is smaller than the minimum ${min} bytes`);
  if (n > max) fail(`${value} is larger than the maximum ${max} bytes`);
  return n;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], fail: (m: string) => never, why = ''): T {
  const v = value.toLowerCase() as T;
  if (!allowed.includes(v)) fail(`${shorten(value)} is not one of ${allowed.join(' | ')}${why}`);
  return v;
}

function space(value: string, fail: (m: string) => never): SpaceSetting {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(value);
  if (!m) fail(`${shorten(value)} is not a size in MiB or a percentage like 25%`);
  const v = Number(m![1]);
  if (m![2] === '%' && v > 100) fail(`${value} is more than 100%`);
  return { value: v, percent: m![2] === '%' };
}

function yesNo(value: string, fail: (m: string) => never): boolean {
  const v = value.toLowerCase();
  if (v === 'yes') return true;
  if (v === 'no') return false;
  return fail(`${shorten(value)} is not yes or no`);
}

function diskAction(value: string, fail: (m: string) => never): DiskAction {
  const first = value.split(/\s+/)[0].toLowerCase();
  if (first === 'email' || first === 'exec' || first === 'single') {
    fail(`${shorten(value)}: tsauditd does not implement ${first}; use ${DISK_ACTIONS.join(' | ')}`);
  }
  return oneOf(value, DISK_ACTIONS, fail);
}

const SETTERS: Record<string, Setter> = {
  log_file: (c, v) => { c.logFile = v; },
  log_format: (c, v, fail) => {
    // auditd's NOLOG (write_logs = no) is deprecated there; tsauditd asks for write_logs instead
    c.logFormat = oneOf(v, LOG_FORMATS, fail, ' (for no log, write_logs = no)');
  },
  log_group: (c, v) => { c.logGroup = v; },
  write_logs: (c, v, fail) => { c.writeLogs = yesNo(v, fail); },
  flush: (c, v, fail) => { c.flush = oneOf(v, FLUSH, fail); },
  freq: (c, v, fail) => { c.freq = intIn(v, 0, 1_000_000, fail); },
  max_log_file: (c, v, fail) => { c.maxLogFileMiB = intIn(v, 0, 1_000_000, fail, 'a size in MiB'); },
  num_logs: (c, v, fail) => { c.numLogs = intIn(v, 0, 999, fail); },
  max_log_file_action: (c, v, fail) => { c.maxLogFileAction = oneOf(v, MAX_LOG_ACTIONS, fail); },
  space_left: (c, v, fail) => { c.spaceLeft = space(v, fail); },
  space_left_action: (c, v, fail) => { c.spaceLeftAction = diskAction(v, fail); },
  admin_space_left: (c, v, fail) => { c.adminSpaceLeft = space(v, fail); },
  admin_space_left_action: (c, v, fail) => { c.adminSpaceLeftAction = diskAction(v, fail); },
  disk_full_action: (c, v, fail) => { c.diskFullAction = diskAction(v, fail); },
  disk_error_action: (c, v, fail) => {
    if (/^rotate$/i.test(v)) fail('"rotate" does not apply to disk errors; use ignore | syslog | suspend | halt');
    c.diskErrorAction = diskAction(v, fail);
  },
  plugin_dir: (c, v) => { c.pluginDir = v; },
  q_depth: (c, v, fail) => { c.qDepth = intIn(v, 1, 10_000_000, fail); },
  overflow_action: (c, v, fail) => {
    if (/^(single|halt|suspend)$/i.test(v)) fail(`"${v}": tsauditd does not ${v.toLowerCase()} on plugin overflow; use ${PLUGIN_OVERFLOW.join(' | ')}`);
    c.overflowAction = oneOf(v, PLUGIN_OVERFLOW, fail) === 'block' ? 'block' : 'drop';
  },
  max_restarts: (c, v, fail) => { c.maxRestarts = intIn(v, 0, 1_000_000, fail); },
  queue_hwm: (c, v, fail) => { c.queueHwm = intIn(v, 1, 100_000_000, fail, 'a record count'); },
  queue_hwm_bytes: (c, v, fail) => { c.queueHwmBytes = bytes(v, 64 * 1024, fail); },
  queue_lwm: (c, v, fail) => { c.queueLwm = intIn(v, 0, 100_000_000, fail, 'a record count'); },
  queue_overflow: (c, v, fail) => { c.queueOverflow = oneOf(v, QUEUE_OVERFLOW, fail); },
  queue_reserve: (c, v, fail) => { c.queueReserve = intIn(v, 0, 100_000_000, fail, 'a record count'); },
  queue_reserve_bytes: (c, v, fail) => { c.queueReserveBytes = bytes(v, 0, fail); },
  queue_full_action: (c, v, fail) => { c.queueFullAction = oneOf(v, QUEUE_FULL_ACTIONS, fail); },
  queue_floor_ms: (c, v, fail) => { c.queueFloorMs = intIn(v, 1, 80, fail, 'milliseconds (1..80: kauditd gives up on a send after 100 ms)'); },
  stats_file: (c, v) => { c.statsFile = v; },
  stats_interval_ms: (c, v, fail) => { c.statsIntervalMs = intIn(v, 10, 100, fail, 'milliseconds (10..100: the harness needs 10 a second)'); },
  state_file: (c, v) => { c.stateFile = v; },
  oom_score_adj: (c, v, fail) => { c.oomScoreAdj = v.toLowerCase() === 'keep' ? null : intIn(v, -1000, 1000, fail, 'an integer or "keep"'); },
  recv_buffer_bytes: (c, v, fail) => {
    const n = bytes(v, 0, fail);
    if (n > RECV_BUFFER_MAX) fail(`${v} is more than the kernel accepts for a socket receive buffer (1G: SO_RCVBUF is an int the kernel doubles); use 1G or less`);
    c.recvBufferBytes = n;
  },
  priority_boost: (c, v, fail) => { c.priorityBoost = intIn(v, 0, 20, fail, 'a nice decrement (0..20)'); },
  recv_batch: (c, v, fail) => { c.recvBatch = intIn(v, 1, 1024, fail); },
};

export const KNOWN_KEYS: readonly string[] = Object.keys(SETTERS);

/** SO_RCVBUF(FORCE) takes a C int that the kernel doubles and caps at INT_MAX/2: more would
 *  wrap in the native code, or be cut silently by the kernel */
export const RECV_BUFFER_MAX = 2 ** 30;
/** A config file longer than this is not an auditd.conf (those are a few KiB). */
export const CONFIG_MAX_BYTES = 1024 * 1024;
/** Keys whose value is a file the daemon writes. */
const FILE_KEYS = ['log_file', 'stats_file', 'state_file'] as const;

/** A path tsauditd writes or reads: one line, no NUL, not `/`, not a directory name. */
function checkPath(key: string, value: string, fail: (msg: string) => never, isDir: boolean): void {
  if (/[\x00-\x1f\x7f]/.test(value)) fail(`${key} ${shorten(value)} holds a control character (NUL, tab...); give a plain path`);
  if (value.length > 4095) fail(`${key} is ${value.length} characters; paths end at 4095 (PATH_MAX)`);
  if (!isDir && (value === '/' || value.endsWith('/'))) fail(`${key} ${shorten(value)} names a directory; give a file, e.g. /var/log/audit/audit.log`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Cross-key rules, after every line is read (what auditd's sanity_check refuses too). */
function checkCombinations(cfg: DaemonConfig, seen: Map<string, number>, file: string): void {
  const l = cfg.spaceLeft;
  const a = cfg.adminSpaceLeft;
  if (l.percent === a.percent && l.value <= a.value) {
    const unit = l.percent ? '%' : ' MiB';
    throw new ConfigError(`space_left (${l.value}${unit}) must be larger than admin_space_left (${a.value}${unit}), as auditd requires: raise space_left or lower admin_space_left`,
      file, seen.get('space_left') ?? seen.get('admin_space_left') ?? 0);
  }
}

/** Parse auditd.conf text. `file` is used in messages and to resolve relative paths (its dir). */
export function parseConfig(text: string, file: string, configDir: string): DaemonConfig {
  const cfg = defaultConfig(configDir);
  cfg.source = file;
  const seen = new Map<string, number>();
  let lwmLine = 0;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const fail = (msg: string): never => { throw new ConfigError(msg, file, lineNo); };
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq < 0) fail(`${shorten(line)} is not "key = value"`);
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (!/^[a-z_0-9]+$/.test(key)) fail(`${shorten(line.slice(0, eq).trim())} is not a keyword`);
    if (value === '') fail(`${key} has no value`);
    if (seen.has(key)) fail(`${key} is set twice (first on line ${seen.get(key)})`);
    seen.set(key, lineNo);
    if (IGNORED_AUDITD_KEYS.includes(key)) return;
    const setter = SETTERS[key];
    if (!setter) {
      fail(`unknown keyword ${shorten(key, 40)}; tsauditd knows ${KNOWN_KEYS.join(', ')} ` +
        `and ignores auditd's ${IGNORED_AUDITD_KEYS.join(', ')}`);
    }
    if ((FILE_KEYS as readonly string[]).includes(key) || key === 'plugin_dir') checkPath(key, value, fail, key === 'plugin_dir');
    setter(cfg, value, (msg) => fail(`${key}: ${msg}`));
    if (key === 'queue_lwm') lwmLine = lineNo;
  });
  checkCombinations(cfg, seen, file);
  if (!seen.has('queue_lwm')) cfg.queueLwm = Math.floor(cfg.queueHwm / 2);
  if (cfg.queueLwm >= cfg.queueHwm) {
    throw new ConfigError(`queue_lwm (${cfg.queueLwm}) must be below queue_hwm (${cfg.queueHwm})`, file, lwmLine || seen.get('queue_hwm') || 0);
  }
  if (cfg.flush === 'incremental' || cfg.flush === 'incremental_async') {
    if (cfg.freq === 0) throw new ConfigError(`flush ${cfg.flush} needs freq > 0`, file, seen.get('freq') ?? 0);
  }
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(cfg.configDir, p));
  cfg.logFile = abs(cfg.logFile);
  cfg.pluginDir = abs(cfg.pluginDir);
  cfg.statsFile = abs(cfg.statsFile);
  cfg.stateFile = abs(cfg.stateFile);
  for (const [key, path] of [['log_file', cfg.logFile], ['stats_file', cfg.statsFile], ['state_file', cfg.stateFile]] as const) {
    if (isDirectory(path)) throw new ConfigError(`${key} ${shorten(path)} is a directory; give a file in it, e.g. ${join(path, key === 'log_file' ? 'audit.log' : `tsauditd.${key.replace('_file', '')}`)}`, file, seen.get(key) ?? 0);
  }
  return cfg;
}

export function loadConfig(configDir: string): DaemonConfig {
  const file = join(resolve(configDir), 'auditd.conf');
  let text: string;
  const r = readTextFile(file, CONFIG_MAX_BYTES);
  if (!r.ok) {
    const { detail, hint } = describeReadProblem(r.problem, 'config file');
    throw new ConfigError(`the config ${detail}; ${hint}`, file, r.problem.kind === 'not-utf8' ? r.problem.line : 0);
  }
  text = r.text;
  return parseConfig(text, file, configDir);
}

/** Low-water mark in bytes: the same fraction of queue_hwm_bytes as queue_lwm is of queue_hwm. */
export function lwmBytes(cfg: Pick<DaemonConfig, 'queueHwm' | 'queueLwm' | 'queueHwmBytes'>): number {
  return Math.floor((cfg.queueHwmBytes * cfg.queueLwm) / cfg.queueHwm);
}

/** Keys SIGHUP can change in a running daemon; the rest need a restart. */
export const LIVE_KEYS: ReadonlySet<keyof DaemonConfig> = new Set<keyof DaemonConfig>([
  'queueHwm', 'queueHwmBytes', 'queueLwm', 'queueOverflow', 'statsIntervalMs', 'oomScoreAdj',
  'queueReserve', 'queueReserveBytes', 'queueFullAction', 'queueFloorMs',
  'recvBufferBytes', 'stateFile',
]);
