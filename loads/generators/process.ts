// The harness side of the generator protocol (see common.ts): start one generator process with
// execa, wait for "ready", release it with "go", follow its progress, collect its result.
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { programPath } from '../../lib/paths.ts';
import { generators } from './index.ts';
import type { GeneratorConfig, GeneratorLine, ProgressLine, ReadyLine, ResultLine } from './common.ts';

export interface GeneratorProcess {
  pid: number;
  config: GeneratorConfig;
  /** resolves when the process set its auid and waits for go; rejects if it failed first */
  ready: Promise<ReadyLine>;
  /** start the operations (write "go") */
  go(): void;
  /** ask it to stop early; it still reports its result */
  stop(): void;
  /** the last progress line seen */
  lastProgress: ProgressLine | null;
  onProgress(cb: (p: ProgressLine) => void): void;
  /** the result line; rejects if the process exits without one */
  result: Promise<ResultLine>;
  /** SIGKILL (for aborts; no result then) */
  kill(): void;
  /** stderr collected so far */
  stderr(): string;
}

function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k === 'NODE_OPTIONS' || k.startsWith('_TAPJS') || k.startsWith('TAP') || k === 'NODE_V8_COVERAGE') continue;
    env[k] = v;
  }
  // glibc reads /proc/sys/vm/overcommit_memory (an openat) the first time a thread's malloc
  // arena shrinks, at a moment no generator controls: after the auid is set, it is an audited
  // syscall nobody counted. One arena (the main one, which never takes that path) removes it.
  env.MALLOC_ARENA_MAX = '1';
  return env;
}

export function startGenerator(config: GeneratorConfig, opts: { cwd?: string } = {}): GeneratorProcess {
  const script = programPath(generators[config.generator].script);
  // `env -u NODE_OPTIONS` (env execs node: same pid): a parent's spawn hooks (tap's process
  // tracking) put their preloads back into the environment we pass, so strip them at exec time.
  const child: ResultPromise = execa('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, script, JSON.stringify(config)], {
    stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: false, cwd: opts.cwd,
    // Preloaded hooks (a test runner's process tracking, coverage) do file I/O at exit, after
    // the auid is set: audited syscalls no generator counts. Generators run with none.
    env: cleanEnv(),
    extendEnv: false,
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); if (stderr.length > 65536) stderr = stderr.slice(-32768); });
  const progressCbs: ((p: ProgressLine) => void)[] = [];
  let resolveReady!: (r: ReadyLine) => void;
  let rejectReady!: (e: Error) => void;
  let resolveResult!: (r: ResultLine) => void;
  let rejectResult!: (e: Error) => void;
  const ready = new Promise<ReadyLine>((a, b) => { resolveReady = a; rejectReady = b; });
  const result = new Promise<ResultLine>((a, b) => { resolveResult = a; rejectResult = b; });
  ready.catch(() => {});
  result.catch(() => {});
  let gotResult = false;
  const handle: GeneratorProcess = {
    pid: child.pid!,
    config,
    ready,
    result,
    lastProgress: null,
    go: () => { child.stdin!.write('go\n'); },
    stop: () => { if (!child.stdin!.destroyed) child.stdin!.write('stop\n'); },
    onProgress: (cb) => { progressCbs.push(cb); },
    kill: () => { child.kill('SIGKILL'); },
    stderr: () => stderr,
  };
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: GeneratorLine;
    try {
      line = JSON.parse(text) as GeneratorLine;
    } catch {
      stderr += `(stdout, not JSON) ${text}\n`;
      return;
    }
    if (line.type === 'ready') resolveReady(line);
    else if (line.type === 'progress') { handle.lastProgress = line; for (const cb of progressCbs) cb(line); }
    else if (line.type === 'result') { gotResult = true; resolveResult(line); }
    else if (line.type === 'error') {
      const err = new Error(`generator ${config.generator} (pid ${child.pid}) failed: ${line.message}`);
      rejectReady(err);
      rejectResult(err);
    }
  });
  void child.then(async (r) => {
    await new Promise((resolve) => setTimeout(resolve, 20)); // let readline hand over the last lines
    const err = new Error(`generator ${config.generator} (pid ${child.pid}) exited (${r.exitCode ?? r.signal}) without a result: ${stderr.trim().slice(-2000)}`);
    rejectReady(err);
    if (!gotResult) rejectResult(err);
    child.stdin?.destroy();
  });
  return handle;
}

/** Start several, wait until all are ready, release them together. */
export async function startTogether(configs: GeneratorConfig[]): Promise<GeneratorProcess[]> {
  const procs = configs.map((c) => startGenerator(c));
  try {
    await Promise.all(procs.map((p) => p.ready));
  } catch (err) {
    for (const p of procs) p.kill();
    throw err;
  }
  for (const p of procs) p.go();
  return procs;
}
