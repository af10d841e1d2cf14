// The field's rules, rescoped to the run: same lists, actions, syscalls, fields, keys and
// watches, but every rule audits only the run's load processes (`-F auid=@AUID@`). What had to
// change is said rule by rule: the field's own auid/loginuid conditions are replaced, identity
// conditions that exclude the (root) load processes are dropped, watches become the exit-list
// rules auditctl builds for them (`-w` cannot carry an auid), control lines become kernel
// settings, and what cannot be loaded is ignored with the compiler's reason.
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { compileRuleText } from '../rules/rule-file.ts';
import { parseRuleText } from '../rules/parse.ts';
import { RuleError } from '../rules/errors.ts';
import { clip, type Ignored } from './evidence.ts';
import type { BundleFile } from './bundle-files.ts';
import type { Located } from './parse-small.ts';

export interface RescopedRule {
  /** the rule as the field had it */
  field: string;
  where: string;
  /** the run's rule, with @AUID@ (and @SCRATCH@ for scratch twins of watches) */
  rule: string;
  changes: string[];
  syscalls: string[];
  key: string | null;
  /** a watch (field path) */
  watch: { path: string; perm: string } | null;
}

export interface RuleSettingsFacts {
  backlogLimit?: Located<number>;
  rateLimit?: Located<number>;
  failure?: Located<number>;
  enabled?: Located<number>;
  /** jiffies, as auditctl takes it */
  backlogWaitTime?: Located<number>;
}

export interface RescopeResult {
  rules: RescopedRule[];
  settings: RuleSettingsFacts;
}

const IDENTITY = new Set(['uid', 'euid', 'suid', 'fsuid', 'gid', 'egid', 'sgid', 'fsgid']);
const SAMPLE = { AUID: '4200000000', SCRATCH: '/tmp/auditstorm-scratch', FIELDROOT: '/tmp/auditstorm-field-paths' };
/** replaced by build-scenario.ts with DIR/field-paths, where it creates the directories */
export const FIELDROOT = '@FIELDROOT@';

function holdsForRoot(op: string, value: string): boolean | null {
  const v = value === 'root' ? 0 : /^-?\d+$/.test(value) ? Number(value) : null;
  if (v === null) return null;
  switch (op) {
    case '=': return v === 0;
    case '!=': return v !== 0;
    case '<': return 0 < v;
    case '>': return 0 > v;
    case '<=': return 0 <= v;
    case '>=': return 0 >= v;
    default: return null;
  }
}

const isDir = (p: string) => { try { return statSync(p).isDirectory(); } catch { return false; } };

/** The kernel needs a dir= tree to exist, and a path= watch's parent directory: field paths
 *  this host lacks map to the run's scratch dir (where the loads work) or are dropped. */
function hostPaths(rule: string, changes: string[]): string | null {
  let ok = true;
  const out = rule.replace(/-F (dir|path)=(\S+)/g, (whole, kind: string, p: string) => {
    if (p.startsWith('@')) return whole;
    if (kind === 'dir' && !isDir(p)) {
      changes.push(`dir=${p} does not exist on this host: watched as an empty copy under the reproduction's field-paths/ (the kernel needs the directory); kept for its filter cost`);
      return `-F dir=@FIELDROOT@${p}`;
    }
    if (kind === 'path' && !isDir(dirname(p))) {
      ok = false;
    }
    return whole;
  });
  return ok ? out : null;
}

function checkCompiles(rule: string, where: string): string | null {
  try {
    compileRuleText(rule, where, { placeholders: SAMPLE, isDirectory: (p) => p.endsWith('/') });
    return null;
  } catch (err) {
    if (err instanceof RuleError) return err.message.replace(/^[^:]+:\d+:\d+: /, '');
    throw err;
  }
}

export function rescopeRules(files: BundleFile[], ignored: Ignored[]): RescopeResult {
  const out: RescopeResult = { rules: [], settings: {} };
  for (const f of files) {
    f.lines.forEach((raw, i) => {
      const where = `${f.name}:${i + 1}`;
      const text = raw.trim();
      if (text === '' || text.startsWith('#') || text === 'No rules') return;
      let parsed;
      try {
        parsed = parseRuleText(text, where)[0];
      } catch (err) {
        if (!(err instanceof RuleError)) throw err;
        ignored.push({ where, why: `not a rule auditctl would take: ${err.message.replace(/^[^:]+:\d+:\d+: /, '')}`, text: clip(raw) });
        return;
      }
      if (!parsed) return;
      const opts = parsed.options;
      const first = opts[0]?.flag;
      const num = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : null);
      if (first === '-b' || first === '-r' || first === '-f' || first === '-e' || first === '--backlog_wait_time') {
        const n = num(opts[0].value);
        if (n === null) {
          ignored.push({ where, why: `${first} takes a number`, text: clip(raw) });
          return;
        }
        const key = ({ '-b': 'backlogLimit', '-r': 'rateLimit', '-f': 'failure', '-e': 'enabled', '--backlog_wait_time': 'backlogWaitTime' } as const)[first];
        out.settings[key] = { value: n, where };
        return;
      }
      if (first === '-D') {
        ignored.push({ where, why: '-D (delete all rules): the run starts with none of its own and never deletes others\'', text: clip(raw) });
        return;
      }
      if (first === '-d' || first === '-W') {
        ignored.push({ where, why: `${first} deletes a rule; the run loads only the rules the field ended with`, text: clip(raw) });
        return;
      }
      const changes: string[] = [];
      let rule: string;
      let syscalls: string[] = [];
      let key: string | null = null;
      let watch: RescopedRule['watch'] = null;
      if (first === '-w') {
        const path = opts[0].value!;
        const perm = opts.find((o) => o.flag === '-p')?.value ?? 'rwxa';
        key = opts.find((o) => o.flag === '-k')?.value ?? null;
        const field = path.endsWith('/') && path.length > 1 ? `dir=${path.replace(/\/+$/, '')}` : `path=${path}`;
        rule = `-a always,exit -F ${field} -F perm=${perm} -F auid=@AUID@${key ? ` -k ${key}` : ''}`;
        changes.push(`watch written as the exit-list rule auditctl builds for it (${field.split('=')[0]}: ${path.endsWith('/') ? 'a trailing / marks a directory' : 'taken as a file; auditctl decides by stat() on the field host'}), scoped with auid`);
        watch = { path, perm };
      } else if (first === '-a' || first === '-A') {
        const words: string[] = [];
        let hadAuid = false;
        for (const o of opts) {
          if (o.flag === '-F') {
            const m = /^([a-z_0-9]+)(!=|<=|>=|&=|=|<|>|&)(.*)$/.exec(o.value ?? '');
            if (m && (m[1] === 'auid' || m[1] === 'loginuid')) {
              if (!hadAuid) changes.push(`field's ${m[1]} condition(s) replaced by the run's auid`);
              hadAuid = true;
              continue;
            }
            if (m && IDENTITY.has(m[1])) {
              const holds = holdsForRoot(m[2], m[3]);
              if (holds !== true) {
                changes.push(holds === false
                  ? `-F ${o.value} dropped: the load processes run as root and would never match it`
                  : `-F ${o.value} dropped: a user name this host may not have`);
                continue;
              }
            }
            if (m && m[1] === 'key') key = m[3];
            if (m && m[1] === 'path') changes.push(`-F ${o.value}: a field path the load never touches; kept for its filter cost`);
            words.push(`-F ${o.value}`);
          } else if (o.flag === '-k') {
            key = o.value ?? null;
            words.push(`-k ${o.value}`);
          } else if (o.flag === '-S') {
            syscalls.push(...(o.value ?? '').split(','));
            words.push(`-S ${o.value}`);
          } else {
            words.push(o.value !== undefined ? `${o.flag} ${o.value}` : o.flag);
          }
        }
        const keyAt = words.findIndex((w) => w.startsWith('-k ') || w.startsWith('-F key='));
        words.splice(keyAt < 0 ? words.length : keyAt, 0, '-F auid=@AUID@');
        if (!hadAuid) changes.push('scoped with the run\'s auid');
        rule = words.join(' ');
        if (/(^|,)(entry|possible)(,|$)/.test(opts[0].value ?? '')) {
          ignored.push({ where, why: 'the entry list and the possible action are gone from current kernels (auditctl refuses them since 2.x); rewrite as exit,always', text: clip(raw) });
          return;
        }
      } else {
        ignored.push({ where, why: `${first ?? 'this line'} is not a rule or a kernel setting`, text: clip(raw) });
        return;
      }
      const climbing = [...rule.matchAll(/-F (?:dir|path)=(\S+)/g)].map((m) => m[1]).find((p) => p.split('/').some((seg) => seg === '..' || seg === '.'));
      if (climbing !== undefined) {
        ignored.push({ where, why: `the watched path ${clip(climbing, 80)} holds a "." or ".." segment: refused (the kernel takes normalised paths, and a reproduction never creates paths outside its own folder)`, text: clip(raw) });
        return;
      }
      const mapped = hostPaths(rule, changes);
      if (mapped === null) {
        ignored.push({ where, why: 'watches a path whose directory this host does not have (the kernel refuses such a watch)', text: clip(raw) });
        return;
      }
      rule = mapped;
      const err = checkCompiles(rule, where);
      if (err) {
        ignored.push({ where, why: `cannot be loaded here: ${err}`, text: clip(raw) });
        return;
      }
      syscalls = syscalls.filter(Boolean);
      out.rules.push({ field: text, where, rule, changes, syscalls, key, watch });
    });
  }
  return out;
}
