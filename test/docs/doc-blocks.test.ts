// Every example in README.md and docs/*.md is exercised: each YAML block that is a scenario (or
// a fragment of one: daemon:, faults:, expect:, ...) must validate as one; each command line in a
// code block must name a real command with options it has (`auditstorm X --help` lists them),
// an npm script that exists, or a file that exists; the safe ones (validate, scenarios, rules
// check) run for real. A failure names the file and line of the example.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import type { Command } from 'commander';
import { buildProgram } from '../../harness/cli/main.ts';
import { PROJECT_ROOT, validateScenario } from '../../harness/scenario/load-scenario.ts';
import { scenariosCommand, validateCommand } from '../../harness/scenario/commands.ts';
import { rulesCheck } from '../../harness/rules/commands.ts';

interface Block { file: string; line: number; lang: string; body: string[] }

const DOCS = ['README.md', ...readdirSync(join(PROJECT_ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

export function codeBlocks(file: string, text: string): Block[] {
  const out: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]);
    if (!m) continue;
    const fence = m[1];
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].trim().startsWith(fence); i++) body.push(lines[i]);
    out.push({ file, line: start + 1, lang: m[2].toLowerCase(), body });
  }
  return out;
}

const SCENARIO_KEYS = new Set(['name', 'description', 'duration', 'seed', 'kernel', 'rules', 'daemon', 'loads', 'faults', 'expect']);
// a fragment is validated on top of this (its own keys replace these)
const BASE = { name: 'doc-example', description: 'an example from the documentation', duration: '1m', rules: 'openat-storm.rules', loads: [{ generator: 'open-close' }] };

const SHELL = new Set(['sh', 'bash', 'shell', 'console']);
const OTHER_TOOLS = new Set(['systemctl', 'git', 'cat', 'cd', 'ls', 'auditctl', 'mkdir', 'rmdir', 'echo', 'export', 'sudo', 'apt-get']);
const NPM_COMMANDS = new Set(['install', 'ci', 'link', 'pack', 'test', 'start', 'exec', 'uninstall']);

/** Words of one shell line, quotes removed, usage brackets dropped; null for a comment or blank. */
function words(line: string): string[] | null {
  const noComment = line.replace(/(^|\s)#.*$/, '');
  const ws: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(noComment))) ws.push(m[1] ?? m[2] ?? m[3]);
  const cleaned = ws.map((w) => w.replace(/^\[+|\]+$/g, '').replace(/\.\.\.$/, '')).filter((w) => w && w !== '|' && w !== '\\');
  return cleaned.length ? cleaned : null;
}

/** The commands of one line: `;`, `&&` and `||` outside quotes end one (a quoted filter
 *  expression such as 'a == 1 && b == 2' is one word). */
function splitCommands(line: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ';' || line.startsWith('&&', i) || line.startsWith('||', i)) {
      parts.push(cur);
      cur = '';
      if (c !== ';') i++;
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

/** Logical lines of a block: continuations joined, `$ ` prompts stripped, `;`/`&&`/`||` split. */
function commandLines(b: Block): Array<{ line: number; words: string[] }> {
  const out: Array<{ line: number; words: string[] }> = [];
  let acc = '';
  let first = 0;
  b.body.forEach((raw, i) => {
    if (!acc) first = b.line + 1 + i;
    const l = raw.replace(/^\s*\$\s+/, '');
    if (/\\\s*$/.test(l)) { acc += `${l.replace(/\\\s*$/, '')} `; return; }
    acc += l;
    for (const part of splitCommands(acc)) {
      const ws = words(part);
      if (ws) out.push({ line: first, words: ws });
    }
    acc = '';
  });
  return out;
}

const program = buildProgram();

function findCommand(ws: string[]): { cmd: Command; path: string[]; rest: string[] } {
  let cmd: Command = program;
  const path: string[] = [];
  let i = 0;
  for (; i < ws.length; i++) {
    const sub = cmd.commands.find((c) => c.name() === ws[i] || c.aliases().includes(ws[i]));
    if (!sub) break;
    cmd = sub;
    path.push(ws[i]);
  }
  return { cmd, path, rest: ws.slice(i) };
}

/** What is wrong with one `auditstorm ...` line, or null. */
function checkAuditstorm(args: string[], where: string): string | null {
  if (args.every((a) => ['--help', '-h', '--version', '-V'].includes(a))) return null;
  const { cmd, path, rest } = findCommand(args);
  if (!path.length) return `${where}: "auditstorm ${args.join(' ')}": no such command (auditstorm --help lists them)`;
  if (cmd.commands.length && !rest.length) return null; // a group named on its own
  const help = cmd.helpInformation();
  if (!help) return `${where}: auditstorm ${path.join(' ')} --help printed nothing`;
  const flags = new Set(cmd.options.flatMap((o) => [o.long, o.short]).filter(Boolean) as string[]);
  flags.add('--help').add('-h');
  for (const w of rest) {
    const flag = /^(--?[A-Za-z][\w-]*)/.exec(w)?.[1];
    if (flag && !flags.has(flag)) {
      return `${where}: auditstorm ${path.join(' ')} has no option ${flag} (it has: ${[...flags].filter((f) => f.startsWith('--')).join(', ')})`;
    }
  }
  return null;
}

const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };

/** What is wrong with one command line, or null; `strict`: an unknown first word is an error. */
export function checkLine(ws: string[], where: string, strict: boolean): string | null {
  const w: string[] = [...ws];
  const isVar = (x: string | undefined) => x !== undefined && /^[A-Z_][A-Z0-9_]*=/.test(x);
  while (isVar(w[0])) w.shift(); // VAR=value prefixes
  if (w[0] === 'env') {
    w.shift();
    for (let x = w[0]; isVar(x) || x === '-u'; x = w[0]) if (w.shift() === '-u') w.shift();
  }
  // shell control words: `for x in ...` is no command, `do CMD` / `then CMD` run CMD
  if (w[0] === 'for' || w[0] === 'done' || w[0] === 'fi') return null;
  if (w[0] === 'do' || w[0] === 'then') w.shift();
  if (w[0] === 'flock') w.splice(0, w[2] === '-c' ? 3 : 2);
  if (w[0] === 'timeout') w.splice(0, 2);
  if (!w.length) return null;
  const [head, ...args] = w;
  if (head.endsWith(':')) return strict ? `${where}: "${head}" looks like output, not a command` : null;
  // in an untyped block, `auditstorm --help:   median 0.094 s` is printed output, not a command
  if (!strict && args.some((a) => a.endsWith(':'))) return null;
  if (head === 'auditstorm') return checkAuditstorm(args, where);
  if (head === 'npx') {
    const [tool, ...targs] = args.filter((a) => a !== '--no-install');
    if (tool === 'auditstorm') return checkAuditstorm(targs, where);
    if (tool === 'tap') return checkFiles(targs, where);
    if (tool === 'tsc' || tool === 'tsx') return null;
    return `${where}: npx ${tool}: not a tool of this project`;
  }
  if (head === 'npm') {
    if (args[0] === 'run') return args[1] && pkg.scripts[args[1]] ? null : `${where}: npm run ${args[1]}: no such script in package.json`;
    return NPM_COMMANDS.has(args[0]) ? null : `${where}: npm ${args[0]}: not an npm command these docs should use`;
  }
  if (head === 'node') {
    const script = args[0];
    if (script === 'harness/bin/auditstorm.js') return checkAuditstorm(args.slice(1), where);
    return script && existsSync(join(PROJECT_ROOT, script)) ? null : `${where}: node ${script}: no such file`;
  }
  if (head === 'tsauditd') return null;
  if (head === 'sh' || /^(ci|\.ci|docs)\//.test(head)) {
    const f = head === 'sh' ? args[0] : head;
    return f && existsSync(join(PROJECT_ROOT, f)) ? null : `${where}: ${f}: no such file`;
  }
  if (OTHER_TOOLS.has(head)) return null;
  return strict ? `${where}: "${head}": not a command the documentation test knows (a typo, or add it to OTHER_TOOLS)` : null;
}

function checkFiles(args: string[], where: string): string | null {
  for (const a of args) {
    if (a.startsWith('-') || !/\.(ts|js|mjs)$/.test(a)) continue;
    const expanded = a.includes('{') ? expandBraces(a) : [a];
    for (const f of expanded) {
      if (f.includes('*')) continue;
      if (!existsSync(join(PROJECT_ROOT, f))) return `${where}: ${f}: no such test file`;
    }
  }
  return null;
}

function expandBraces(s: string): string[] {
  const m = /^(.*)\{([^}]*)\}(.*)$/.exec(s);
  return m ? m[2].split(',').flatMap((x) => expandBraces(`${m[1]}${x}${m[3]}`)) : [s];
}

/** The YAML block as a scenario text to validate, or null when it is not one. */
export function scenarioText(b: Block): string | null {
  let v: unknown;
  try {
    v = parseYaml(b.body.join('\n'));
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const keys = Object.keys(v);
  if (!keys.length || !keys.every((k) => SCENARIO_KEYS.has(k))) return null;
  if ('name' in v && 'loads' in v) return b.body.join('\n');
  return stringify({ ...BASE, ...(v as object) });
}

const blocks = DOCS.flatMap((f) => codeBlocks(f, readFileSync(join(PROJECT_ROOT, f), 'utf8')));

t.test('the documentation has examples to check', async (t) => {
  t.ok(blocks.filter((b) => b.lang === 'yaml').length >= 3, 'YAML blocks');
  t.ok(blocks.filter((b) => SHELL.has(b.lang)).length >= 3, 'shell blocks');
});

t.test('every YAML block validates (as a scenario when it is one)', async (t) => {
  for (const b of blocks.filter((x) => x.lang === 'yaml' || x.lang === 'yml')) {
    const where = `${b.file}:${b.line}`;
    let parsed = true;
    try { parseYaml(b.body.join('\n')); } catch (err) { parsed = false; t.fail(`${where}: not YAML: ${(err as Error).message.split('\n')[0]}`); }
    if (!parsed) continue;
    const text = scenarioText(b);
    if (text === null) { t.pass(`${where}: YAML (not a scenario)`); continue; }
    try {
      validateScenario(text, { path: where });
      t.pass(`${where}: a valid scenario${text === b.body.join('\n') ? '' : ' (fragment, on a minimal scenario)'}`);
    } catch (err) {
      t.fail(`${where}: ${(err as Error).message}`);
    }
  }
});

t.test('every command line names a real command, option, script or file', async (t) => {
  for (const b of blocks.filter((x) => !['yaml', 'yml', 'json', 'ts', 'typescript', 'js', 'ini', 'text'].includes(x.lang))) {
    for (const l of commandLines(b)) {
      const where = `${b.file}:${l.line}`;
      const problem = checkLine(l.words, where, SHELL.has(b.lang));
      if (problem) t.fail(problem);
      else t.pass(`${where}: ${l.words.slice(0, 3).join(' ')}`);
    }
  }
});

t.test('the safe examples run for real: validate, scenarios, rules check', async (t) => {
  let ran = 0;
  for (const b of blocks) {
    for (const l of commandLines(b)) {
      const ws = l.words[0] === 'npx' || l.words[0] === 'node' ? l.words.slice(1) : l.words;
      if (ws[0] !== 'auditstorm' && ws[0] !== 'harness/bin/auditstorm.js') continue;
      const where = `${b.file}:${l.line}`;
      const args = ws.slice(1);
      if (!SHELL.has(b.lang) && args.some((a) => a.endsWith(':'))) continue; // printed output
      // placeholders (SCENARIO, FILE...) are not runnable
      if (args.some((a) => /^[A-Z][A-Z_]+$/.test(a))) continue;
      if (args[0] === 'validate' && args[1]) {
        const out = validateCommand(args[1]);
        t.equal(out.exitCode, 0, `${where}: auditstorm validate ${args[1]}${out.exitCode ? `: ${out.errors}` : ''}`);
        ran++;
      } else if (args[0] === 'scenarios' && args.length === 1) {
        t.equal(scenariosCommand().exitCode, 0, `${where}: auditstorm scenarios`);
        ran++;
      } else if (args[0] === 'rules' && args[1] === 'check') {
        for (const pattern of args.slice(2)) {
          const files = pattern.includes('*')
            ? readdirSync(join(PROJECT_ROOT, pattern.slice(0, pattern.lastIndexOf('/')))).filter((f) => f.endsWith('.rules')).map((f) => `${pattern.slice(0, pattern.lastIndexOf('/'))}/${f}`)
            : [pattern];
          const report = rulesCheck(files.map((f) => join(PROJECT_ROOT, f)));
          t.ok(report.ok, `${where}: auditstorm rules check ${pattern}${report.ok ? '' : `: ${report.files.filter((f) => !f.ok).map((f) => f.error!.message).join('; ')}`}`);
          ran++;
        }
      }
    }
  }
  t.comment(`${ran} example(s) run for real`);
});

t.test('the checker itself fails on a bad example, naming file and line', async (t) => {
  t.match(checkLine(['auditstorm', 'run', 'x', '--no-such-flag'], 'X.md:3', true), /^X\.md:3: auditstorm run has no option --no-such-flag/);
  t.match(checkLine(['auditstorm', 'frobnicate'], 'X.md:4', true), /^X\.md:4: .*no such command/);
  t.match(checkLine(['npm', 'run', 'nope'], 'X.md:5', true), /^X\.md:5: npm run nope: no such script/);
  t.match(checkLine(['ci/nope'], 'X.md:6', true), /^X\.md:6: ci\/nope: no such file/);
  t.match(checkLine(['frob'], 'X.md:7', true), /^X\.md:7: "frob"/);
  t.equal(checkLine(['PASS', 'slow-writer'], 'X.md:8', false), null, 'output lines in an untyped block are not commands');
  const bad = scenarioText({ file: 'X.md', line: 9, lang: 'yaml', body: ['faults:', '  - { kind: stall-daemon, at: 1s, for: 1 }'] });
  t.ok(bad, 'a faults: fragment is a scenario fragment');
  t.throws(() => validateScenario(bad!, { path: 'X.md:9' }), /X\.md:9/, 'and a bad one fails naming where');
});

t.test('every relative link in README.md and docs/ points at a file that exists', async (t) => {
  const { dirname } = await import('node:path');
  for (const f of DOCS) {
    const lines = readFileSync(join(PROJECT_ROOT, f), 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const m of line.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(m[1])) continue;
        const target = join(PROJECT_ROOT, dirname(f), m[1]);
        t.ok(existsSync(target), `${f}:${i + 1}: link ${m[1]}${existsSync(target) ? '' : ' points at nothing'}`);
      }
    });
  }
});
