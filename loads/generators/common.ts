// The runner every generator program shares. Protocol (one generator process):
//   argv[2] (or env AUDITSTORM_GENERATOR_CONFIG): a GeneratorConfig as JSON.
//   1. prepare (scratch files, listeners, sockets) while still unaudited;
//   2. write the auid to /proc/self/loginuid (only now do the scope rules see this process);
//   3. stdout: {"type":"ready",...}; wait for the line "go" on stdin (all processes start together);
//   4. operate at the shape's rate until the duration or count is done, or "stop" on stdin,
//      stdin closing, SIGTERM or SIGINT; stdout every second: {"type":"progress",...};
//   5. stdout: {"type":"result",...} and exit 0. A fatal error: {"type":"error",...}, exit 1.
// Every line on stdout is one JSON object. Diagnostics go to stderr.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stat as statAsync } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Prng } from './prng.ts';
import { Pacer, type Rate, type Shape } from './shape.ts';
import type { GeneratorName, GeneratorOptions } from './options.ts';

export interface GeneratorConfig<G extends GeneratorName = GeneratorName> {
  generator: G;
  /** the run's audit uid; null: leave the process's auid as it is (pure tests only) */
  auid: number | null;
  seed: number;
  rate: Rate;
  shape: Shape;
  /** null: until the count is done or "stop" */
  durationMs: number | null;
  /** operations by this process; null: for the duration */
  count: number | null;
  /** a directory the harness made for the run; generators create their files under it */
  scratchDir: string;
  options: GeneratorOptions[G];
  /** for messages and file names: which load and which process of it */
  load?: string;
  processIndex?: number;
  /** default 1000 */
  progressIntervalMs?: number;
}

export interface ReadyLine { type: 'ready'; pid: number; auid: number | null; generator: GeneratorName }
export interface ProgressLine {
  type: 'progress'; pid: number; ops: number; auditedSyscalls: number; errors: number;
  /** ms since go */
  elapsedMs: number;
  /** the target rate now (ops/s) or "max" */
  rate: Rate;
}
export interface ResultLine {
  type: 'result'; pid: number; generator: GeneratorName; seed: number;
  ops: number;
  /** audited syscalls (records, for user-message) made after go, under the generator's ruleSet */
  auditedSyscalls: number;
  errors: number;
  /** the first error's message, when there were errors */
  firstError?: string;
  /** The longest single op, ms (wall time of the call): a synchronous op's audited syscalls
   *  finish inside it, so any wait for room in the kernel's backlog does too, and this bounds
   *  each record's wait from above. null for asynchronous generators, whose op times are the
   *  event loop's. */
  maxOpMs: number | null;
  /** epoch ms (fractional) */
  startedAt: number;
  endedAt: number;
  /** what stopped it: done (duration or count), stop (asked), signal */
  reason: 'done' | 'stop' | 'signal';
}
export interface ErrorLine { type: 'error'; pid: number; message: string }
export type GeneratorLine = ReadyLine | ProgressLine | ResultLine | ErrorLine;

/** What a generator's op functions use to count. */
export interface OpContext<G extends GeneratorName = GeneratorName> {
  config: GeneratorConfig<G>;
  prng: Prng;
  /** add one for every audited syscall made, BEFORE making it (a failing syscall is audited too) */
  audited: number;
  /** set when the run stops (async generators stop starting work) */
  stopping: boolean;
}

export interface Generator {
  /** synchronous operation; throws on failure */
  op?: () => void;
  /** asynchronous operation; rejects on failure */
  opAsync?: () => Promise<void>;
  /** async operations in flight at once (default 1) */
  concurrency?: number;
  /** after the last op: settle what is still in flight (e.g. connections not yet accepted) */
  finish?: () => Promise<void>;
  /** ops counted by the generator itself instead of one per op call (http: requests served) */
  opsOverride?: () => number;
  /** a generator that drives its own load (http): replaces the op loop */
  drive?: (pace: { pacer: Pacer; startMs: number; stopped: () => boolean; waitStop: Promise<void> }) => Promise<void>;
}

/**
 * The op files of a file generator (open-close, stat): `options.files` scratch files of this
 * process, made now (before the auid is set, so their creation is not audited); `pick()` gives
 * one at random per op.
 */
export function scratchFiles(ctx: OpContext<'open-close' | 'stat'>, defaultLoad: string): { pick(): string } {
  const { scratchDir, options, load = defaultLoad, processIndex = 0 } = ctx.config;
  const paths = Array.from({ length: options.files }, (_, i) => join(scratchDir, `${load}-${processIndex}-${process.pid}-${i}`));
  for (const p of paths) writeFileSync(p, 'auditstorm scratch\n');
  return { pick: () => (paths.length === 1 ? paths[0]! : paths[ctx.prng.int(0, paths.length - 1)]!) };
}

function emit(line: GeneratorLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export function readConfig<G extends GeneratorName>(name: G): GeneratorConfig<G> {
  const text = process.argv[2] ?? process.env.AUDITSTORM_GENERATOR_CONFIG;
  if (!text) throw new Error(`usage: node ${name}.js CONFIG_JSON (or env AUDITSTORM_GENERATOR_CONFIG)`);
  const config = JSON.parse(text) as GeneratorConfig<G>;
  if (config.generator !== name) throw new Error(`config is for generator ${config.generator}, this is ${name}`);
  if (config.durationMs === null && config.count === null) {
    // allowed: runs until "stop"; the harness always gives one of them
  }
  return config;
}

/**
 * Set this process's audit uid. Must happen after setup and before "go". The open happens
 * while the old auid is in force; nothing may touch a file after it (not even reading the value
 * back), or the scope rules record a syscall no generator counts. The kernel refuses a bad
 * value with an error from write().
 */
export function setLoginUid(auid: number): void {
  writeFileSync('/proc/self/loginuid', String(auid));
}

const now = () => performance.timeOrigin + performance.now();

/**
 * Run a generator program: `setup` builds it (unaudited), then the protocol above.
 * Never returns: the process exits when done.
 */
export async function runGenerator<G extends GeneratorName>(
  name: G,
  setup: (ctx: OpContext<G>) => Promise<Generator> | Generator,
): Promise<never> {
  let config: GeneratorConfig<G>;
  const ctx = { audited: 0, stopping: false } as OpContext<G>;
  let gen: Generator;
  try {
    config = readConfig(name);
    ctx.config = config;
    ctx.prng = new Prng(config.seed);
    gen = await setup(ctx);
    // libuv starts its thread pool (4 clone calls) on first use: do it now, unaudited.
    await statAsync('/');
    // libuv opens /dev/null (its spare fd for EMFILE) when the process's first stream is made:
    // make stdout and stdin now, unaudited, not at the first emit after the auid is set.
    void process.stdout;
    void process.stdin;
    if (config.auid !== null) setLoginUid(config.auid);
  } catch (err) {
    emit({ type: 'error', pid: process.pid, message: (err as Error).message });
    process.exit(1);
  }
  emit({ type: 'ready', pid: process.pid, auid: config.auid, generator: name });

  let stopReason: ResultLine['reason'] | null = null;
  let onStop: () => void = () => {};
  const waitStop = new Promise<void>((r) => { onStop = r; });
  const stop = (reason: ResultLine['reason']) => {
    if (stopReason) return;
    stopReason = reason;
    ctx.stopping = true;
    onStop();
  };
  let goResolve: () => void = () => {};
  const go = new Promise<void>((r) => { goResolve = r; });
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const word = line.trim();
    if (word === 'go') goResolve();
    else if (word === 'stop') { goResolve(); stop('stop'); }
  });
  // the harness went away: stop rather than run unattended
  rl.on('close', () => { goResolve(); stop('stop'); });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => { goResolve(); stop('signal'); });

  await go;
  const startedAt = now();
  const startMs = performance.now();
  const pacer = new Pacer(config.shape, config.rate, startMs, config.durationMs ?? undefined);
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  let longestOpMs = 0;
  const fail = (err: unknown) => {
    errors++;
    firstError ??= (err as Error)?.message ?? String(err);
  };
  const countOps = () => gen.opsOverride?.() ?? ops;

  const progress = setInterval(() => {
    emit({
      type: 'progress', pid: process.pid, ops: countOps(), auditedSyscalls: ctx.audited, errors,
      elapsedMs: Math.round(performance.now() - startMs), rate: pacer.rate(performance.now()),
    });
  }, config.progressIntervalMs ?? 1000);

  let endTimer: NodeJS.Timeout | undefined;
  if (config.durationMs !== null) endTimer = setTimeout(() => stop('done'), Math.max(0, config.durationMs));
  const countDone = () => config.count !== null && ops >= config.count;

  if (gen.drive) {
    try {
      await gen.drive({ pacer, startMs, stopped: () => stopReason !== null, waitStop });
    } catch (err) {
      fail(err);
    }
    stop('done');
  } else if (stopReason === null) {
    await new Promise<void>((resolve) => {
      let inflight = 0;
      let scheduled = false;
      const concurrency = gen.concurrency ?? 1;
      const finished = () => stopReason !== null || countDone();
      const schedule = (delay: number) => {
        if (scheduled) return;
        scheduled = true;
        const run = () => { scheduled = false; tick(); };
        if (delay <= 0) setImmediate(run); else setTimeout(run, delay);
      };
      const tick = () => {
        if (finished()) {
          if (inflight === 0) resolve();
          return;
        }
        const t = performance.now();
        let due = pacer.due(t);
        if (config.count !== null) due = Math.min(due, config.count - ops - inflight);
        const deadline = t + 20; // yield to the event loop (stdin, progress) at least every 20 ms
        let done = 0;
        if (gen.op) {
          // one clock read per op: the end of one op is the start of the next
          let before = performance.now();
          for (; done < due; done++) {
            try {
              gen.op();
            } catch (err) {
              fail(err);
            }
            ops++;
            const after = performance.now();
            if (after - before > longestOpMs) longestOpMs = after - before;
            before = after;
            if ((done & 63) === 63 && after > deadline) { done++; break; }
          }
        } else if (gen.opAsync) {
          for (; done < due && inflight < concurrency; done++) {
            inflight++;
            gen.opAsync().catch(fail).finally(() => {
              inflight--;
              ops++;
              if (finished() && inflight === 0) resolve();
              else schedule(0);
            });
          }
        }
        if (done < due) pacer.giveBack(due - done);
        if (finished()) {
          if (inflight === 0) resolve();
          return;
        }
        const rate = pacer.rate(performance.now());
        const behind = done < due || rate === 'max';
        if (gen.opAsync && inflight >= concurrency) return; // a completion schedules the next tick
        schedule(behind ? 0 : Math.min(10, rate > 0 ? 1000 / rate : 10));
      };
      waitStop.then(() => schedule(0));
      tick();
    });
    if (stopReason === null) stop('done');
  }

  clearTimeout(endTimer);
  try {
    await gen.finish?.();
  } catch (err) {
    fail(err);
  }
  clearInterval(progress);
  const endedAt = now();
  const result: ResultLine = {
    type: 'result', pid: process.pid, generator: name, seed: config.seed,
    ops: countOps(), auditedSyscalls: ctx.audited, errors, startedAt, endedAt,
    reason: stopReason ?? 'done',
    // timed only where the op is the call itself: a synchronous op, run by the loop above
    maxOpMs: gen.op && !gen.drive ? Math.round(longestOpMs * 1000) / 1000 : null,
  };
  if (firstError !== undefined) result.firstError = firstError;
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  return new Promise<never>(() => {});
}
