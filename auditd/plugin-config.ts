// Plugin configuration files in auditd's plugins.d/*.conf syntax (audispd-pconfig.c):
//
//   active = yes|no
//   direction = out            (deprecated, accepted)
//   path = /sbin/some-plugin
//   type = always              (builtin: obsolete, treated as always with a warning)
//   args = arg1 arg2 ...
//   format = string            (binary is auditd's other format; tsauditd does not speak it)
//
// Lines are `name = value...` split on spaces; `#` starts a comment; keywords ignore case.
// tsauditd extensions, per plugin (auditd only has them globally in auditd.conf):
//   q_depth = N, overflow_action = drop|block, max_restarts = N
// Errors name file:line:col, say what is wrong and how to fix it; all of a directory's errors
// are reported together.

import { promises as fsp, constants as C } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { describeReadProblem, readTextFile, shorten } from '../harness/input/untrusted.ts';

export type OverflowAction = 'drop' | 'block';

export interface PluginConfig {
  /** the config file's basename, e.g. `af_unix.conf` (auditd names plugins this way) */
  name: string;
  /** where it was read from, for messages */
  file?: string;
  active: boolean;
  path: string;
  args: string[];
  format: 'string';
  /** records the plugin's own queue holds (auditd q_depth) */
  qDepth: number;
  overflowAction: OverflowAction;
  maxRestarts: number;
}

export interface PluginDefaults {
  qDepth: number;
  overflowAction: OverflowAction;
  maxRestarts: number;
}

/** auditd.conf defaults: q_depth 2000 (Debian ships 1200), max_restarts 10; drop like `syslog`. */
export const PLUGIN_DEFAULTS: PluginDefaults = { qDepth: 2000, overflowAction: 'drop', maxRestarts: 10 };

/** Bounds on plugins.d (docs/tsauditd.md): far above auditd's own use. */
export const PLUGIN_LIMITS = { files: 64, fileBytes: 64 * 1024 };

export class PluginConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'PluginConfigError';
  }
}

export interface ParseResult {
  config: PluginConfig | null;
  errors: string[];
  warnings: string[];
}

/** Parse one plugin .conf text. `file` is used for the name and in messages. */
export function parsePluginConf(text: string, file: string, defaults: PluginDefaults = PLUGIN_DEFAULTS): ParseResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const cfg: PluginConfig = {
    name: basename(file),
    file,
    active: false,
    path: '',
    args: [],
    format: 'string',
    qDepth: defaults.qDepth,
    overflowAction: defaults.overflowAction,
    maxRestarts: defaults.maxRestarts,
  };
  const seen = new Set<string>();
  // A builtin path is judged after the whole file is read: `active` may come after `path`, and
  // Debian ships builtin_af_unix inactive, which must not stop the daemon from starting.
  let builtin: { t: string; at: string } | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i];
    // Tokens with their columns (1-based) for messages.
    const toks: { t: string; col: number }[] = [];
    for (const m of raw.matchAll(/[^ \t\r]+/g)) toks.push({ t: m[0], col: (m.index ?? 0) + 1 });
    if (toks.length === 0 || toks[0].t.startsWith('#')) continue;
    const at = (col: number): string => `${file}:${lineNo}:${col}`;
    const name = toks[0].t;
    if (toks.length < 2 || toks[1].t !== '=') {
      errors.push(`${at(toks[0].col)}: expected "${shorten(name, 40).slice(1, -1)} = value" (keyword, a space-separated "=", then the value)`);
      continue;
    }
    const vals = toks.slice(2);
    if (vals.length === 0) {
      errors.push(`${at(toks[1].col)}: ${shorten(name, 40)} has no value; write "${shorten(name, 40).slice(1, -1)} = <value>" or remove the line`);
      continue;
    }
    const key = name.toLowerCase();
    const v = vals[0];
    const one = (): boolean => {
      if (vals.length > 1) {
        errors.push(`${at(vals[1].col)}: "${key}" takes one value, got ${vals.length}; remove "${vals.slice(1).map((x) => x.t).join(' ')}"`);
        return false;
      }
      return true;
    };
    if (seen.has(key) && key !== 'args') warnings.push(`${at(toks[0].col)}: "${key}" set again; the last value wins`);
    seen.add(key);
    const int = (min: number): number | null => {
      if (!/^\d+$/.test(v.t) || Number(v.t) < min) {
        errors.push(`${at(v.col)}: "${key}" must be an integer >= ${min}, got ${shorten(v.t)}`);
        return null;
      }
      return Number(v.t);
    };
    switch (key) {
      case 'active':
        if (!one()) break;
        if (/^yes$/i.test(v.t)) cfg.active = true;
        else if (/^no$/i.test(v.t)) cfg.active = false;
        else errors.push(`${at(v.col)}: active must be yes or no, got ${shorten(v.t)}`);
        break;
      case 'direction':
        if (!one()) break;
        if (!/^(out|in)$/i.test(v.t)) errors.push(`${at(v.col)}: direction must be out (deprecated key; remove it), got ${shorten(v.t)}`);
        break;
      case 'path':
        if (!one()) break;
        if (/^builtin_/i.test(v.t)) {
          builtin = { t: v.t, at: at(v.col) };
          cfg.path = '';
        } else if (!isAbsolute(v.t)) {
          errors.push(`${at(v.col)}: path must be absolute, got ${shorten(v.t)}`);
        } else {
          cfg.path = v.t;
          builtin = null;
        }
        break;
      case 'type':
        if (!one()) break;
        if (/^always$/i.test(v.t)) break;
        if (/^builtin$/i.test(v.t)) warnings.push(`${at(v.col)}: type = builtin is obsolete; treated as always`);
        else errors.push(`${at(v.col)}: type must be always, got ${shorten(v.t)}`);
        break;
      case 'args':
        cfg.args = vals.map((x) => x.t);
        break;
      case 'format':
        if (!one()) break;
        if (/^string$/i.test(v.t)) cfg.format = 'string';
        else if (/^binary$/i.test(v.t)) errors.push(`${at(v.col)}: format = binary is not supported by tsauditd; use format = string`);
        else errors.push(`${at(v.col)}: format must be string, got ${shorten(v.t)}`);
        break;
      case 'q_depth': {
        if (!one()) break;
        const n = int(1);
        if (n !== null) cfg.qDepth = n;
        break;
      }
      case 'max_restarts': {
        if (!one()) break;
        const n = int(0);
        if (n !== null) cfg.maxRestarts = n;
        break;
      }
      case 'overflow_action':
        if (!one()) break;
        if (v.t === 'drop' || v.t === 'block') cfg.overflowAction = v.t;
        else errors.push(`${at(v.col)}: overflow_action must be drop or block, got ${shorten(v.t)}`);
        break;
      default:
        errors.push(
          `${at(toks[0].col)}: unknown keyword ${shorten(name, 40)}; known: active, direction, path, type, args, format, q_depth, overflow_action, max_restarts`,
        );
    }
  }
  if (builtin && cfg.active) {
    errors.push(`${builtin.at}: builtin plugins (${shorten(builtin.t, 40)}) do not exist in tsauditd; give the absolute path of a program`);
  } else if (builtin) {
    warnings.push(`${builtin.at}: builtin plugin ${shorten(builtin.t, 40)} is inactive; ignored (tsauditd has no builtin plugins)`);
  } else if (cfg.active && !cfg.path && errors.length === 0) {
    errors.push(`${file}:1:1: active plugin has no path; add "path = /absolute/program"`);
  }
  return { config: errors.length ? null : cfg, errors, warnings };
}

async function checkProgram(cfg: PluginConfig, text: string, file: string): Promise<string | null> {
  const lineNo = text.split('\n').findIndex((l) => /^\s*path\s/i.test(l)) + 1 || 1;
  try {
    const st = await fsp.stat(cfg.path);
    if (!st.isFile()) return `${file}:${lineNo}:1: path ${cfg.path} is not a regular file`;
    await fsp.access(cfg.path, C.X_OK);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'EACCES'
      ? `${file}:${lineNo}:1: ${cfg.path} is not executable; chmod +x it`
      : `${file}:${lineNo}:1: ${cfg.path} cannot be used (${code}); install it or fix the path`;
  }
}

/**
 * Read every `*.conf` in `dir` (sorted by name), like auditd's plugin_dir. Returns all plugins
 * (inactive ones included, with active=false). Throws PluginConfigError listing every problem.
 * A missing directory means no plugins.
 */
export async function readPluginDir(
  dir: string,
  defaults: PluginDefaults = PLUGIN_DEFAULTS,
  onWarn: (msg: string) => void = () => {},
): Promise<PluginConfig[]> {
  let names: string[];
  try {
    names = (await fsp.readdir(dir)).filter((n) => n.endsWith('.conf')).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new PluginConfigError([code === 'ENOTDIR'
      ? `${dir}: plugin_dir is a file, not a directory; point plugin_dir at a directory of *.conf files`
      : code === 'ELOOP'
        ? `${dir}: plugin_dir is a symlink loop; point plugin_dir at a directory of *.conf files`
        : `${dir}: plugin_dir cannot be read (${code ?? (e as Error).message}); check the path and its permissions`]);
  }
  if (names.length > PLUGIN_LIMITS.files) {
    throw new PluginConfigError([`${dir}: ${names.length} *.conf files; tsauditd reads at most ${PLUGIN_LIMITS.files} plugins`]);
  }
  const out: PluginConfig[] = [];
  const problems: string[] = [];
  for (const n of names) {
    const file = join(dir, n);
    let st;
    try {
      st = await fsp.stat(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push(`${file}:1:1: ${code === 'ENOENT' ? 'a symlink to a file that does not exist' : code === 'ELOOP' ? 'a symlink loop' : `cannot be read (${code})`}; remove it or fix the link`);
      continue;
    }
    if (!st.isFile()) {
      onWarn(`${file}: not a regular file; ignored`);
      continue;
    }
    if (st.size > PLUGIN_LIMITS.fileBytes) {
      problems.push(`${file}:1:1: ${st.size} bytes; a plugin config is a few lines (limit ${PLUGIN_LIMITS.fileBytes} bytes)`);
      continue;
    }
    // auditd refuses plugin configs that others could rewrite: they name programs it runs as root.
    if (st.mode & 0o022) {
      problems.push(`${file}:1:1: group or world writable; chmod go-w it (it names a program run as root)`);
      continue;
    }
    const read = readTextFile(file, PLUGIN_LIMITS.fileBytes);
    if (!read.ok) {
      const { detail, hint } = describeReadProblem(read.problem, 'plugin config');
      problems.push(`${file}:${read.problem.kind === 'not-utf8' ? `${read.problem.line}:${read.problem.col}` : '1:1'}: ${detail}; ${hint}`);
      continue;
    }
    const text = read.text;
    const r = parsePluginConf(text, file, defaults);
    for (const w of r.warnings) onWarn(w);
    problems.push(...r.errors);
    if (r.config) {
      if (r.config.active) {
        const bad = await checkProgram(r.config, text, file);
        if (bad) {
          problems.push(bad);
          continue;
        }
      }
      out.push(r.config);
    }
  }
  if (problems.length) throw new PluginConfigError(problems);
  return out;
}
