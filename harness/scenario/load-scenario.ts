// Read a scenario file, validate it, and turn every problem into a line a person can act on:
// FILE:LINE:COL: FIELD.PATH: what is allowed (got VALUE).
import { statSync, readdirSync, existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { core as zcore } from 'zod';
import { randomSeed } from '../../loads/generators/prng.ts';
import { generators } from '../../loads/generators/index.ts';
import {
  DAEMONS, POLICIES, scenarioFileSchema, toScenario,
  type Scenario, type ScenarioOverrides,
} from './schema.ts';
import { PACKAGE_ROOT } from '../../lib/paths.ts';
import { formatDuration, parseDuration, UnitError } from './units.ts';
import { daemonFitWarnings } from './daemon-fit.ts';
import { describeReadProblem, readTextFile, shorten } from '../input/untrusted.ts';
import { preflight } from './preflight.ts';

/** Limits on a scenario file (docs/scenarios.md): far above any real scenario, low enough that
 *  a hostile file is refused in milliseconds. */
export const SCENARIO_LIMITS = {
  fileBytes: 1024 * 1024,
  /** YAML nodes (scalars, mappings, lists) in the whole document */
  nodes: 20_000,
  /** keys of one mapping */
  mapKeys: 256,
  /** nesting of flow collections ([ ] and { }) */
  flowDepth: 32,
  /** alias expansions (`*name`) in the whole document: no "billion laughs" */
  aliases: 100,
  /** problems listed in one error; the rest are counted */
  problemsShown: 50,
};

export const PROJECT_ROOT = PACKAGE_ROOT;
export const DEFAULT_RULES_DIR = join(PROJECT_ROOT, 'rules');
export const SCENARIOS_DIR = join(PROJECT_ROOT, 'loads/scenarios');

export interface ScenarioProblem {
  /** the file, or "(command line)" for an override */
  file: string;
  /** 1-based; 0 when unknown */
  line: number;
  col: number;
  /** dotted field path, e.g. loads[0].rate; "" for the whole file */
  path: string;
  /** what was found, as text ("missing" when absent) */
  value: string;
  message: string;
}

export function formatProblem(p: ScenarioProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.col}` : p.file;
  // a hostile key (YAML's `? KEY` has no length limit) must not be echoed whole
  const path = p.path.length > 120 ? `${p.path.slice(0, 120)}... (${p.path.length} characters)` : p.path;
  const field = path ? `${path}: ` : '';
  const got = p.value === '' ? '' : ` (got ${p.value})`;
  return `${where}: ${field}${p.message}${got}`;
}

export class ScenarioError extends Error {
  constructor(readonly file: string, readonly problems: ScenarioProblem[]) {
    const shown = problems.slice(0, SCENARIO_LIMITS.problemsShown);
    const more = problems.length - shown.length;
    super(problems.length === 1
      ? `bad scenario: ${formatProblem(problems[0])}`
      : `bad scenario ${file}: ${problems.length} problems\n${shown.map((p) => `  ${formatProblem(p)}`).join('\n')}${more > 0 ? `\n  ... and ${more} more` : ''}`);
    this.name = 'ScenarioError';
  }
}

export interface ValidateOptions {
  /** the file the text came from (for messages and relative rule paths) */
  path?: string;
  overrides?: ScenarioOverrides;
  /** where bare rule file names are looked up; default <project>/rules */
  rulesDir?: string;
  /** check that the rule file exists (default true) */
  checkRulesFile?: boolean;
}

type PathSeg = string | number;

export function formatPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

interface Located {
  /** the deepest node found along the path */
  node: Node | null;
  /** the key node of the last segment, when the last segment is a map key */
  keyNode: Node | null;
  /** whether the whole path exists */
  found: boolean;
}

function locate(doc: Document, path: readonly PathSeg[]): Located {
  let node = doc.contents as Node | null;
  let keyNode: Node | null = null;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return { node, keyNode: null, found: false };
      keyNode = pair.key as Node;
      node = (pair.value as Node | null) ?? keyNode;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg] as Node;
      keyNode = null;
    } else {
      return { node, keyNode: null, found: false };
    }
  }
  return { node, keyNode, found: true };
}

function showValue(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null (empty)';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return `a mapping {${Object.keys(v as object).slice(0, 5).map((k) => shorten(k, 30).slice(1, -1)).join(', ')}${Object.keys(v as object).length > 5 ? ', ...' : ''}}`;
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf';
  if (typeof v === 'string') return shorten(v);
  return String(v);
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

function didYouMean(word: string, message: string): string {
  const m = /allowed keys: (.*)$/.exec(message);
  if (!m || word.length > 64) return ''; // edit distance is quadratic: no suggestion for a huge key
  const best = m[1].split(', ').map((k) => ({ k, d: editDistance(word, k) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best.k}"?)` : '';
}

function problemsFromIssues(file: string, doc: Document, lines: LineCounter, data: unknown,
  issues: readonly zcore.$ZodIssue[]): ScenarioProblem[] {
  const at = (node: Node | null) => {
    if (!node?.range) return { line: 0, col: 0 };
    const pos = lines.linePos(node.range[0]);
    return { line: pos.line, col: pos.col };
  };
  const valueAt = (path: readonly PathSeg[]) => {
    let v: unknown = data;
    for (const seg of path) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<PathSeg, unknown>)[seg];
    }
    return v;
  };
  const out: ScenarioProblem[] = [];
  for (const iss of issues) {
    const path = iss.path as PathSeg[];
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) {
        const loc = locate(doc, [...path, key]);
        out.push({ file, ...at(loc.keyNode ?? loc.node), path: formatPath([...path, key]), value: '',
          message: `${iss.message.replace(/^unknown keys? .*? in /, `unknown key in `)}${didYouMean(key, iss.message)}` });
      }
      continue;
    }
    const loc = locate(doc, path);
    const value = valueAt(path);
    let message = iss.message.replace(/; got undefined$/, '');
    if (!loc.found && value === undefined && !message.startsWith('required')) {
      message = `missing (required): ${message.replace(/^expected /, '')}`;
    }
    // the discriminator's own error is about the `kind`/`generator` key, not the whole entry
    out.push({ file, ...at(loc.found ? loc.node : loc.node), path: formatPath(path), value: loc.found ? showValue(value) : '', message });
  }
  return out;
}

function applyOverrides(data: Record<string, unknown>, o: ScenarioOverrides, warnings: string[]): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const bad = (flag: string, value: unknown, message: string) =>
    problems.push({ file: '(command line)', line: 0, col: 0, path: flag, value: showValue(value), message });
  const daemon = (data.daemon && typeof data.daemon === 'object' ? data.daemon : (data.daemon = {})) as Record<string, unknown>;
  if (o.daemon !== undefined) {
    if (!(DAEMONS as readonly string[]).includes(o.daemon)) bad('--daemon', o.daemon, `one of ${DAEMONS.join(', ')}`);
    else daemon.name = o.daemon;
  }
  if (o.policy !== undefined) {
    if (!(POLICIES as readonly string[]).includes(o.policy)) bad('--policy', o.policy, `one of ${POLICIES.join(', ')}`);
    else daemon.policy = o.policy;
  }
  if (o.command !== undefined || o.log !== undefined || o.logFormat !== undefined) {
    const flag = o.command !== undefined ? '--command' : o.log !== undefined ? '--log' : '--log-format';
    if (o.daemon !== undefined && o.daemon !== 'command') bad(flag, o.daemon, `${flag} is for --daemon command (this is --daemon ${o.daemon})`);
    else {
      daemon.name = 'command';
      if (o.command !== undefined) daemon.command = o.command;
      if (o.log !== undefined) daemon.log = o.log;
      if (o.logFormat !== undefined) daemon.log_format = o.logFormat;
    }
  }
  if (o.duration !== undefined) {
    let ms: number | null = null;
    try {
      ms = typeof o.duration === 'number' ? o.duration : parseDuration(o.duration);
    } catch (err) {
      if (!(err instanceof UnitError)) throw err;
      bad('--duration', o.duration, err.message);
    }
    if (ms !== null && ms < 1000) bad('--duration', o.duration, 'at least 1s');
    else if (ms !== null) {
      data.duration = formatDuration(ms);
      // A shorter run cuts the loads and faults that no longer fit, and says so.
      if (Array.isArray(data.loads)) {
        data.loads.forEach((l: Record<string, unknown>, i: number) => {
          try {
            if (l && typeof l.duration === 'string' && parseDuration(l.duration) > ms!) {
              warnings.push(`loads[${i}].duration ${l.duration} cut to the run's ${formatDuration(ms!)} (--duration)`);
              delete l.duration;
            }
          } catch { /* the schema reports it */ }
        });
      }
      if (Array.isArray(data.faults)) {
        data.faults = data.faults.filter((f: Record<string, unknown>, i: number) => {
          try {
            if (f && typeof f.at === 'string' && parseDuration(f.at) >= ms!) {
              warnings.push(`faults[${i}] (${String(f.kind)} at ${f.at}) dropped: after the end of the shortened run`);
              return false;
            }
          } catch { /* the schema reports it */ }
          return true;
        });
      }
    }
  }
  return problems;
}

/** Validate scenario text; throws ScenarioError listing every problem. */
export function validateScenario(text: string, options: ValidateOptions = {}): Scenario {
  const file = options.path ?? '(scenario)';
  const lines = new LineCounter();
  const early = precheckText(text, file);
  if (early) throw new ScenarioError(file, [early]);
  // duplicate keys are checked in checkShape (the yaml library's own check is quadratic in the keys)
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ScenarioError(file, doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return { file, line: pos.line, col: pos.col, path: '', value: '',
        message: `not valid YAML: ${e.message.split('\n')[0]}` };
    }));
  }
  const shapeProblem = checkShape(doc, lines, file);
  if (shapeProblem) throw new ScenarioError(file, [shapeProblem]);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: SCENARIO_LIMITS.aliases }) as unknown;
  } catch (err) {
    // the yaml library throws ReferenceError for an alias without an anchor or one that expands
    // too often; both become a located problem
    const alias = firstAlias(doc);
    const pos = alias?.range ? lines.linePos(alias.range[0]) : { line: 0, col: 0 };
    const msg = (err as Error).message;
    throw new ScenarioError(file, [{ file, line: pos.line, col: pos.col, path: '', value: alias && isAlias(alias) ? `*${shorten(alias.source, 40).slice(1, -1)}` : '',
      message: /Unresolved alias/.test(msg)
        ? 'an alias (*name) without an anchor (&name) before it; define the anchor first or write the value out'
        : /Excessive alias count/.test(msg)
          ? `aliases expand more than ${SCENARIO_LIMITS.aliases} times (nested aliases: a "billion laughs"); write the values out`
          : `the YAML does not resolve: ${shorten(msg, 120).slice(1, -1)}` }]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ScenarioError(file, [{ file, line: 1, col: 1, path: '', value: showValue(data),
      message: 'a scenario file is a YAML mapping with keys name, description, duration, rules, daemon, loads, faults, expect' }]);
  }
  const warnings: string[] = [];
  const overrides = options.overrides ?? {};
  const overrideProblems = applyOverrides(data as Record<string, unknown>, overrides, warnings);
  const result = scenarioFileSchema.safeParse(data);
  const problems = [...overrideProblems];
  if (!result.success) {
    problems.push(...problemsFromIssues(file, doc, lines, data, result.error.issues)
      .sort((a, b) => a.line - b.line || a.col - b.col));
  }
  if (problems.length > 0) throw new ScenarioError(file, problems);
  const parsed = result.data!;

  const baseDir = options.path ? dirname(resolve(options.path)) : process.cwd();
  const rulesDir = options.rulesDir ?? DEFAULT_RULES_DIR;
  const rulesPath = parsed.rules.includes('/')
    ? (isAbsolute(parsed.rules) ? parsed.rules : resolve(baseDir, parsed.rules))
    : join(rulesDir, parsed.rules);
  // a path that exists but is no regular file (a directory, /dev/zero) is the rule reader's to explain
  if (options.checkRulesFile !== false && !existsSync(rulesPath)) {
    const loc = locate(doc, ['rules']);
    const pos = loc.node?.range ? lines.linePos(loc.node.range[0]) : { line: 0, col: 0 };
    const have = existsSync(rulesDir) ? readdirSync(rulesDir).filter((f) => f.endsWith('.rules')) : [];
    throw new ScenarioError(file, [{ file, line: pos.line, col: pos.col, path: 'rules', value: JSON.stringify(parsed.rules),
      message: `no such rule file ${rulesPath}; rule files in ${rulesDir}: ${have.length ? have.join(', ') : 'none'}` }]);
  }

  for (const [i, load] of parsed.loads.entries()) {
    const meant = generators[load.generator].ruleSet;
    if (meant !== null && meant !== parsed.rules) {
      warnings.push(`loads[${i}] (${load.generator}) counts its audited syscalls for ${meant}; this scenario loads ${parsed.rules}: check that the rules audit exactly what the generator counts, or accounting will be off`);
    }
  }
  if (overrides.policy !== undefined && parsed.daemon.name !== 'tsauditd') {
    warnings.push(`--policy ${overrides.policy} applies to tsauditd only; ${parsed.daemon.name} ignores it`);
  }

  const seedGenerated = parsed.seed === undefined;
  const scenario = toScenario(parsed, {
    seed: parsed.seed ?? randomSeed(),
    rulesPath,
    source: { path: options.path ? resolve(options.path) : null, text, seedGenerated, overrides, warnings },
  });
  // a command written in the file as ./x or ../x is the file's neighbour (one on the command
  // line is relative to where auditstorm runs, as a shell would take it)
  const cmd = scenario.daemon.command;
  if (cmd && overrides.command === undefined && /^\.\.?\//.test(cmd[0]!)) cmd[0] = resolve(baseDir, cmd[0]!);
  const rawDaemon = (data as { daemon?: Record<string, unknown> }).daemon ?? {};
  warnings.push(...daemonFitWarnings(scenario, { policySet: 'policy' in rawDaemon && overrides.policy === undefined }));
  if (options.checkRulesFile !== false) {
    // what the run would refuse, refused now: rules, daemon config, unaudited loads, faults
    const pre = preflight(scenario);
    if (pre.problems.length > 0) {
      throw new ScenarioError(file, pre.problems.map((p) => {
        const path = parsePath(p.path);
        const loc = locate(doc, path);
        const node = loc.found ? (loc.keyNode ?? loc.node) : loc.node;
        const at = node?.range ? lines.linePos(node.range[0]) : { line: 0, col: 0 };
        return { file, line: at.line, col: at.col, path: p.path, value: '', message: p.message };
      }));
    }
    warnings.push(...pre.warnings);
  }
  return scenario;
}

/** "loads[1].name" -> ['loads', 1, 'name'] */
function parsePath(text: string): PathSeg[] {
  const out: PathSeg[] = [];
  for (const m of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}

/** Bounds checked on the text before the YAML parser sees it: its size, how many keys it could
 *  hold, and how deep its flow collections nest (the parser recurses). */
function precheckText(text: string, file: string): ScenarioProblem | null {
  const whole = (message: string): ScenarioProblem => ({ file, line: 1, col: 1, path: '', value: '', message });
  if (text.length > SCENARIO_LIMITS.fileBytes) return whole(`${text.length} characters, over the ${SCENARIO_LIMITS.fileBytes} limit for a scenario (those are a few KiB)`);
  let colons = 0;
  let depth = 0;
  let line = 1;
  let col = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    col++;
    if (c === 10) { line++; col = 0; } else if (c === 58 || c === 44) colons++;
    else if (c === 91 || c === 123) {
      if (++depth > SCENARIO_LIMITS.flowDepth) {
        return { file, line, col, path: '', value: '', message: `[ and { nest deeper than ${SCENARIO_LIMITS.flowDepth} levels (is this a scenario file?)` };
      }
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  if (colons > SCENARIO_LIMITS.nodes) return whole(`${colons} ":" and "," in the text: more than the ${SCENARIO_LIMITS.nodes} keys and items a scenario may hold (those have a few dozen)`);
  return null;
}

/** Size limits on the document's structure, and duplicate keys, checked before anything walks it per key. */
function checkShape(doc: Document, lines: LineCounter, file: string): ScenarioProblem | null {
  let nodes = 0;
  let problem: ScenarioProblem | null = null;
  const at = (n: Node) => (n.range ? lines.linePos(n.range[0]) : { line: 0, col: 0 });
  visit(doc, {
    Node(_key, node) {
      nodes++;
      if (nodes > SCENARIO_LIMITS.nodes) {
        problem = { file, ...at(node as Node), path: '', value: '', message: `more than ${SCENARIO_LIMITS.nodes} YAML nodes; a scenario is a few dozen keys (is this a scenario file?)` };
        return visit.BREAK;
      }
      if (isMap(node)) {
        if (node.items.length > SCENARIO_LIMITS.mapKeys) {
          problem = { file, ...at(node), path: '', value: `a mapping of ${node.items.length} keys`, message: `a mapping has at most ${SCENARIO_LIMITS.mapKeys} keys (is this a scenario file?)` };
          return visit.BREAK;
        }
        const seen = new Map<string, Node>();
        for (const pair of node.items) {
          const k = pair.key as Node | null;
          if (!isScalar(k)) continue;
          const name = String(k.value);
          const first = seen.get(name);
          if (first) {
            problem = { file, ...at(k), path: '', value: '', message: `key ${shorten(name, 40)} is given twice (first on line ${at(first).line}); keep one` };
            return visit.BREAK;
          }
          seen.set(name, k);
        }
      }
      return undefined;
    },
  });
  return problem;
}

function firstAlias(doc: Document): Node | null {
  let found: Node | null = null;
  visit(doc, { Alias(_k, node) { found = node; return visit.BREAK; } });
  return found;
}


/** Read and validate a scenario file. Throws ScenarioError (exit code 2) for any problem. */
export function loadScenario(path: string, overrides: ScenarioOverrides = {},
  options: Omit<ValidateOptions, 'path' | 'overrides'> = {}): Scenario {
  let text: string;
  const fail = (message: string): never => {
    throw new ScenarioError(path, [{ file: path, line: 0, col: 0, path: '', value: '', message }]);
  };
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT'
      ? `no such scenario file; scenarios in ${SCENARIOS_DIR}: ${listScenarioFiles().map((f) => f.replace(/\.yaml$/, '')).join(', ') || 'none'}`
      : `cannot read: ${(err as Error).message}`);
  }
  if (!st.isFile()) fail(st.isDirectory() ? 'is a directory, not a scenario file (give a .yaml file)' : 'is not a regular file');
  if (st.size > SCENARIO_LIMITS.fileBytes) fail(`is ${st.size} bytes: not a scenario file (those are a few KiB of YAML; the limit is ${SCENARIO_LIMITS.fileBytes})`);
  const read = readTextFile(path, SCENARIO_LIMITS.fileBytes);
  if (!read.ok) {
    const { detail, hint } = describeReadProblem(read.problem, 'scenario file');
    if (read.problem.kind === 'not-utf8') {
      throw new ScenarioError(path, [{ file: path, line: read.problem.line, col: read.problem.col, path: '', value: '', message: `${detail}; ${hint}` }]);
    }
    return fail(`${detail}; ${hint}`);
  }
  text = read.text;
  if (text.includes('\u0000')) fail('is a binary file, not a YAML scenario');
  return validateScenario(text, { ...options, path, overrides });
}

/** The scenario files shipped in loads/scenarios/ (names only, sorted). */
export function listScenarioFiles(dir = SCENARIOS_DIR): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  } catch {
    return [];
  }
}

/** A bare name ("slow-writer") or a path -> the file path. */
export function resolveScenarioPath(nameOrPath: string, dir = SCENARIOS_DIR): string {
  if (nameOrPath.includes('/') || nameOrPath.endsWith('.yaml') || nameOrPath.endsWith('.yml')) return nameOrPath;
  return join(dir, `${nameOrPath}.yaml`);
}

/**
 * The scenario as it ran: the original text (comments kept) with the seed and the command-line
 * overrides written in, for results/<run>/scenario.yaml.
 */
export function scenarioAsRunYaml(s: Scenario): string {
  const doc = parseDocument(s.source.text);
  doc.set('seed', s.seed);
  const o = s.source.overrides;
  if (o.daemon !== undefined) doc.setIn(['daemon', 'name'], o.daemon);
  if (o.policy !== undefined) doc.setIn(['daemon', 'policy'], o.policy);
  if (o.duration !== undefined) doc.set('duration', formatDuration(s.durationMs));
  const notes = [
    s.source.seedGenerated ? `seed ${s.seed} was generated for this run` : '',
    Object.keys(o).length ? `overrides from the command line: ${JSON.stringify(o)}` : '',
    ...s.source.warnings,
  ].filter(Boolean);
  let out = doc.toString();
  if (notes.length) out = `# As run by auditstorm:\n${notes.map((n) => `#   ${n}`).join('\n')}\n${out}`;
  return out;
}
