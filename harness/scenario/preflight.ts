// Everything a run would refuse, checked before the run touches the kernel: `validate` and `run`
// call the same function. The rule file compiles and is scoped, the daemon's config is one the
// daemon takes, every load is audited by the rules for the run's auid (or says it need not be),
// load names are unique, faults fit in the run and apply to the daemon.
import { renderConfig, ConfigRenderError, tsauditdConfigMap, type ConfigMap } from '../daemons/config-file.ts';
import { ConfigError, parseConfig } from '../../auditd/config.ts';
import { generators } from '../../loads/generators/index.ts';
import { RUN_AUID_MIN } from '../rules/commands.ts';
import type { CompiledRule } from '../rules/compile.ts';
import { RuleError } from '../rules/errors.ts';
import { F, Filter, FILTER_PREPEND, Action, Op, Perm } from '../rules/fields.ts';
import { readRuleFile, type RuleSet } from '../rules/rule-file.ts';
import { assertScoped } from '../rules/scope.ts';
import { ELF_X86_64, syscallNumber } from '../rules/syscall-table.ts';
import type { LoadSpec, Scenario } from './schema.ts';
import { formatDuration } from './units.ts';
import { commandFaultProblem } from './daemon-fit.ts';

/** One thing a run would refuse: the scenario field it is about and what to do. */
export interface PreflightProblem {
  /** dotted path in the scenario, e.g. loads[1], daemon.config.space_left, rules */
  path: string;
  message: string;
}

/** A load whose operations the rules do not audit (allowed by `allow_unaudited`, else a problem). */
export interface UnauditedLoad {
  load: string;
  index: number;
  /** syscall names, or record type numbers as text, that no rule audits */
  missing: string[];
  allowed: boolean;
}

export interface PreflightResult {
  problems: PreflightProblem[];
  unaudited: UnauditedLoad[];
  /** the compiled rules, when they compiled */
  rules: RuleSet | null;
  /** valid, but probably not what was meant */
  warnings: string[];
}

/** The auid and scratch dir a run fills in: any run auid and any scratch path check the same. */
const SAMPLE_AUID = RUN_AUID_MIN;
const SAMPLE_SCRATCH = '/nonexistent/auditstorm-run/scratch';
const SAMPLE_DIR = '/nonexistent/auditstorm-run';

// ---- rules ---------------------------------------------------------------------------------

function compileRules(s: Scenario, problems: PreflightProblem[]): RuleSet | null {
  try {
    const set = readRuleFile(s.rules.path, {
      placeholders: { AUID: String(SAMPLE_AUID), SCRATCH: SAMPLE_SCRATCH },
      // the run creates dir= trees before loading; a -w path decides file or tree by stat()
      isDirectory: (p) => p === SAMPLE_SCRATCH || p.startsWith(`${SAMPLE_SCRATCH}/`) || p.endsWith('/'),
    });
    if (set.deleteAll.length > 0) {
      const d = set.deleteAll[0];
      problems.push({ path: 'rules', message: `${d.file}:${d.line}:${d.col}: -D would delete rules that are not the run's; remove the line` });
    }
    assertScoped(set.rules, false);
    return set;
  } catch (err) {
    if (!(err instanceof RuleError)) throw err;
    problems.push({ path: 'rules', message: `${err.message} [${err.code}]` });
    return null;
  }
}

// ---- does a rule audit what a load makes? ---------------------------------------------------

/** What the load processes are, for evaluating a rule's fields: root, the run's auid. */
const LOAD_IDS: Record<number, number> = {
  [F.LOGINUID]: SAMPLE_AUID, [F.UID]: 0, [F.EUID]: 0, [F.SUID]: 0, [F.FSUID]: 0,
  [F.GID]: 0, [F.EGID]: 0, [F.SGID]: 0, [F.FSGID]: 0,
};

function compare(op: number, actual: number, value: number): boolean | null {
  switch (op) {
    case Op.EQUAL: return actual === value;
    case Op.NOT_EQUAL: return actual !== value;
    case Op.LESS_THAN: return actual < value;
    case Op.GREATER_THAN: return actual > value;
    case Op.LESS_THAN_OR_EQUAL: return actual <= value;
    case Op.GREATER_THAN_OR_EQUAL: return actual >= value;
    default: return null;
  }
}

/**
 * Can this rule's fields match the load's syscalls? false when a field surely excludes them (other
 * arch, other auid or uid, a path the load never touches, a pid); true otherwise: fields the load
 * cannot predict (exit, success, a0..a3, key...) do not make a rule unaudited.
 */
function fieldsCanMatch(r: CompiledRule, scratch: boolean, needWrite: boolean): boolean {
  for (const f of r.rule.fields) {
    if (f.field === F.ARCH) {
      const is64 = compare(f.op, ELF_X86_64, f.value >>> 0);
      if (is64 === false) return false;
    } else if (f.field in LOAD_IDS) {
      if (compare(f.op, LOAD_IDS[f.field], f.value >>> 0) === false) return false;
    } else if (f.field === F.PID || f.field === F.PPID) {
      if (f.op === Op.EQUAL) return false; // load pids are not known when rules load
    } else if (f.field === F.DIR) {
      const d = (f.str ?? '').replace(/\/+$/, '');
      if (!scratch || !(d === '' || SAMPLE_SCRATCH === d || SAMPLE_SCRATCH.startsWith(`${d}/`))) return false;
    } else if (f.field === F.WATCH) {
      return false; // one named file: not the load's scratch files
    } else if (f.field === F.PERM) {
      if ((f.value & (needWrite ? Perm.WRITE : Perm.READ | Perm.WRITE)) === 0) return false;
    }
  }
  return true;
}

const listOf = (r: CompiledRule) => r.rule.flags & ~FILTER_PREPEND;

/** Rules in the order the kernel evaluates them: -A rules first (last added first), then -a. */
function kernelOrder(rules: CompiledRule[]): CompiledRule[] {
  const adds = rules.filter((r) => r.op === 'add');
  const pre = adds.filter((r) => (r.rule.flags & FILTER_PREPEND) !== 0).reverse();
  return [...pre, ...adds.filter((r) => (r.rule.flags & FILTER_PREPEND) === 0)];
}

/** Syscall names of `names` that the exit list does not audit for the load (first match decides). */
function unauditedSyscalls(set: RuleSet, names: string[], scratch: boolean, generator: string): string[] {
  const exit = kernelOrder(set.rules).filter((r) => listOf(r) === Filter.EXIT);
  return names.filter((name) => {
    const nr = syscallNumber(name, 'x86_64');
    if (nr === undefined) return true;
    const needWrite = generator === 'file-write';
    for (const r of exit) {
      if (((r.rule.mask[nr >> 5] >>> (nr & 31)) & 1) === 0) continue;
      if (!fieldsCanMatch(r, scratch, needWrite)) continue;
      return r.rule.action !== Action.ALWAYS;
    }
    return true;
  });
}

/** User record types the exclude or user list drops. */
function droppedUserTypes(set: RuleSet, types: number[]): number[] {
  const ordered = kernelOrder(set.rules);
  const typeMatches = (r: CompiledRule, t: number) => r.rule.fields.every((f) => {
    if (f.field === F.MSGTYPE) return compare(f.op, t, f.value >>> 0) !== false;
    if (f.field in LOAD_IDS) return compare(f.op, LOAD_IDS[f.field], f.value >>> 0) !== false;
    return true;
  });
  return types.filter((t) => {
    if (ordered.some((r) => listOf(r) === Filter.EXCLUDE && typeMatches(r, t))) return true;
    const user = ordered.find((r) => listOf(r) === Filter.USER && typeMatches(r, t));
    return user !== undefined && user.rule.action === Action.NEVER;
  });
}

/** Which of the scenario's loads the rules leave unaudited, and what they miss. */
export function unauditedLoads(s: Scenario, set: RuleSet): UnauditedLoad[] {
  const out: UnauditedLoad[] = [];
  s.loads.forEach((l: LoadSpec, index) => {
    const makes = generators[l.generator].makes;
    let missing: string[];
    if (makes === 'user-records') {
      const types = (l.options as { types?: number[] }).types ?? [1005];
      missing = droppedUserTypes(set, types).map(String);
    } else {
      missing = unauditedSyscalls(set, makes.syscalls, makes.scratch, l.generator);
    }
    if (missing.length) out.push({ load: l.name, index, missing, allowed: l.allowUnaudited });
  });
  return out;
}

// ---- daemon config ----------------------------------------------------------------------------

/** auditd 3.0.9's keywords (auditd-config.c): it refuses to start on any other. */
export const AUDITD_KEYWORDS: ReadonlySet<string> = new Set([
  'local_events', 'write_logs', 'log_file', 'log_group', 'log_format', 'flush', 'freq', 'num_logs', 'dispatcher',
  'name_format', 'name', 'disp_qos', 'max_log_file', 'max_log_file_action', 'space_left', 'space_left_action',
  'admin_space_left', 'admin_space_left_action', 'disk_full_action', 'disk_error_action', 'priority_boost',
  'tcp_listen_port', 'tcp_listen_queue', 'tcp_max_per_addr', 'use_libwrap', 'tcp_client_ports', 'tcp_client_max_idle',
  'transport', 'enable_krb5', 'krb5_principal', 'krb5_key_file', 'distribute_network', 'q_depth', 'overflow_action',
  'max_restarts', 'plugin_dir', 'end_of_event_timeout', 'action_mail_acct', 'verify_email',
]);

function checkDaemonConfig(s: Scenario, problems: PreflightProblem[]): void {
  const config = s.daemon.config as ConfigMap;
  const bad = (key: string, message: string) => problems.push({ path: key ? `daemon.config.${key}` : 'daemon.config', message });
  if (s.daemon.name === 'tsauditd') {
    const map = tsauditdConfigMap(`${SAMPLE_DIR}/tsauditd`, undefined, s.daemon.policy, s.daemon.oomScoreAdj ?? undefined, config);
    let text: string;
    try {
      text = renderConfig(map, 'checked by auditstorm validate');
    } catch (err) {
      if (!(err instanceof ConfigRenderError)) throw err;
      bad(err.key, err.message);
      return;
    }
    try {
      parseConfig(text, 'auditd.conf', `${SAMPLE_DIR}/tsauditd`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // the generated file's line -> the key it holds
      const key = /^([a-z_0-9]+) =/.exec(text.split('\n')[err.line - 1] ?? '')?.[1] ?? '';
      bad(key, `tsauditd refuses it at start: ${err.message.replace(/^auditd\.conf:\d+: /, '')}`);
    }
    return;
  }
  if (s.daemon.name === 'auditd') {
    for (const [k, v] of Object.entries(config)) {
      if (!AUDITD_KEYWORDS.has(k)) bad(k, `Debian's auditd 3.0.9 does not know this keyword and refuses to start; for tsauditd-only keys use daemon.config_for.tsauditd`);
      try {
        renderConfig({ [k]: v }, 'check');
      } catch (err) {
        if (!(err instanceof ConfigRenderError)) throw err;
        bad(k, err.message);
      }
    }
    // auditd's sanity_check: space_left must be larger than admin_space_left (base values 16 and 8)
    const sp = (v: unknown, dflt: string) => /^(\d+(?:\.\d+)?)(%?)$/.exec(String(v ?? dflt));
    const left = sp(config.space_left, '16');
    const admin = sp(config.admin_space_left, '8');
    if (left && admin && left[2] === admin[2] && Number(left[1]) <= Number(admin[1])) {
      bad(config.space_left !== undefined ? 'space_left' : 'admin_space_left',
        `space_left (${left[1]}${left[2] || ' MiB'}) must be larger than admin_space_left (${admin[1]}${admin[2] || ' MiB'}): auditd refuses to start otherwise`);
    }
  }
}

// ---- loads and faults ---------------------------------------------------------------------------

function checkLoadsAndFaults(s: Scenario, problems: PreflightProblem[], warnings: string[]): void {
  const seen = new Map<string, number>();
  s.loads.forEach((l, i) => {
    const first = seen.get(l.name);
    if (first !== undefined) problems.push({ path: `loads[${i}].name`, message: `load name "${l.name}" is also loads[${first}]'s; give each load its own name (reports and accounting are per load)` });
    else seen.set(l.name, i);
  });
  for (const f of s.faults) {
    // the window's length as the timeline lays it out (crash: until the restart)
    const length = f.kind === 'late-start' ? 0 : f.kind === 'crash' ? (f.restart_after === 'never' ? 0 : f.restart_after) : (f.for ?? 0);
    const repeats = 'repeat' in f && f.repeat ? f.repeat : null;
    if (f.at + length > s.durationMs && s.source.overrides.duration !== undefined) {
      // --duration shortened the run: the window is cut at its end, as the override said it would be
      warnings.push(`faults[${f.index}] (${f.kind}): its window to ${formatDuration(f.at + length)} is cut at the shortened run's end (${formatDuration(s.durationMs)}, --duration)`);
    } else if (f.at + length > s.durationMs) {
      problems.push({ path: `faults[${f.index}]`, message: `${f.kind} at ${formatDuration(f.at)} lasts until ${formatDuration(f.at + length)}, past the end of the run (${formatDuration(s.durationMs)}); start it earlier, shorten it or lengthen duration` });
    } else if (repeats) {
      const fit = Math.min(repeats.times, Math.floor((s.durationMs - f.at - length) / repeats.every) + 1);
      if (fit < repeats.times) warnings.push(`faults[${f.index}] (${f.kind}): ${fit} of its ${repeats.times} repeats fit in the run (${formatDuration(s.durationMs)}); the rest do not happen`);
    }
    const unreachable = s.daemon.name === 'command' ? commandFaultProblem(f.kind, s.daemon.log) : null;
    if (unreachable) problems.push({ path: `faults[${f.index}]`, message: `${f.kind} cannot apply to a command daemon: ${unreachable.reason}; ${unreachable.fix}` });
  }
}

// ---- all together --------------------------------------------------------------------------------

/** Every check a run makes before it changes anything. Pure: reads the rule file, no kernel. */
export function preflight(s: Scenario): PreflightResult {
  const problems: PreflightProblem[] = [];
  const rules = compileRules(s, problems);
  let unaudited: UnauditedLoad[] = [];
  if (rules) {
    unaudited = unauditedLoads(s, rules);
    for (const u of unaudited.filter((x) => !x.allowed)) {
      const l = s.loads[u.index];
      const user = generators[l.generator].makes === 'user-records';
      problems.push({
        path: `loads[${u.index}]`,
        message: user
          ? `load "${u.load}" (${l.generator}) sends record type(s) ${u.missing.join(', ')}, which the exclude or user rules in ${s.rules.file} drop for the run's auid; remove those rules, or set allow_unaudited: true on the load (its records are then not counted as generated)`
          : `load "${u.load}" (${l.generator}) makes ${u.missing.join(', ')}, which no rule in ${s.rules.file} audits for the run's auid; add e.g. \`-a always,exit -F arch=b64 -S ${u.missing.join(',')} -F auid=@AUID@\`, or set allow_unaudited: true on the load (its operations are then not counted as generated)`,
      });
    }
  }
  checkDaemonConfig(s, problems);
  const warnings: string[] = [];
  checkLoadsAndFaults(s, problems, warnings);
  for (const u of unaudited.filter((x) => x.allowed)) {
    warnings.push(`loads[${u.index}] (${u.load}): ${u.missing.join(', ')} not audited by ${s.rules.file} (allow_unaudited): its operations are not counted as generated`);
  }
  return { problems, unaudited, rules, warnings };
}
