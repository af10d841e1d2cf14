// A scenario's loads as processes: every generator process of every load started before any
// work (each sets the run's auid itself), released at its load's start time, followed through
// its progress lines, and counted at the end. The sum of `auditedSyscalls` is what the run
// generated: the figure every logged event is accounted against.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startGenerator, type GeneratorProcess } from '../../loads/generators/process.ts';
import type { ResultLine } from '../../loads/generators/common.ts';
import { deriveSeed } from '../../loads/generators/prng.ts';
import type { LoadSpec } from '../scenario/schema.ts';
import type { HostSession } from '../host/host-session.ts';
import { killStep } from '../host/undo-steps.ts';
import { PACKAGE_ROOT } from '../../lib/paths.ts';
import { maxKnown } from '../metrics/aggregates.ts';

export interface LoadProcess {
  id: string;
  load: string;
  proc: GeneratorProcess;
  startMs: number;
  trackId: number;
  /** false for a load the rules need not audit (allow_unaudited): not part of `generated` */
  counted: boolean;
}

export interface LoadTotals {
  /** audited syscalls (user-message: records) the loads made after go */
  generated: number;
  ops: number;
  errors: number;
  firstError: string | null;
  /** per load: name -> figures (maxOpMs: its processes' longest single op, see ResultLine) */
  byLoad: Record<string, { processes: number; ops: number; auditedSyscalls: number; errors: number; maxOpMs: number | null }>;
  /** audited syscalls per load process pid, so each process's events are judged against its own count */
  byPid: Record<number, number>;
  /** processes that ended without a result line (killed, crashed) */
  missingResults: number;
  results: ResultLine[];
  /** the longest single op of any process (ResultLine.maxOpMs), null when none reported one */
  maxOpMs: number | null;
}

export interface LoadSetOptions {
  loads: LoadSpec[];
  auid: number;
  seed: number;
  scratchDir: string;
  session: HostSession;
  /** cumulative audited-syscall count per process, for live throughput */
  onProgress: (id: string, auditedSyscalls: number) => void;
}

export class LoadSet {
  private constructor(private readonly procs: LoadProcess[], private readonly session: HostSession) {}

  /** Start every process and wait until each is ready (auid set, prepared, waiting for go). */
  static async prepare(o: LoadSetOptions): Promise<LoadSet> {
    const procs: LoadProcess[] = [];
    try {
      o.loads.forEach((load, li) => {
        for (let p = 0; p < load.processes; p++) {
          const scratchDir = join(o.scratchDir, `${load.name}-${p}`);
          mkdirSync(scratchDir, { recursive: true });
          const proc = startGenerator({
            generator: load.generator, auid: o.auid, seed: deriveSeed(o.seed, li, p), rate: load.rate, shape: load.shape,
            durationMs: load.durationMs, count: load.count, scratchDir, options: load.options as never,
            load: load.name, processIndex: p,
          } as never, { cwd: PACKAGE_ROOT });
          const id = `${load.name}#${p}`;
          const trackId = o.session.track('load', `load ${id} (pid ${proc.pid})`, [killStep(proc.pid, false)]);
          proc.onProgress((line) => o.onProgress(id, line.auditedSyscalls));
          procs.push({ id, load: load.name, proc, startMs: load.startMs, trackId, counted: !load.allowUnaudited });
        }
      });
      await Promise.all(procs.map((p) => p.proc.ready));
    } catch (err) {
      for (const p of procs) p.proc.kill();
      throw err;
    }
    return new LoadSet(procs, o.session);
  }

  get pids(): number[] {
    return this.procs.map((p) => p.proc.pid);
  }

  /** Release each load at its start time (ms after now); resolves when all were released. */
  async go(signal: AbortSignal): Promise<void> {
    const t0 = Date.now();
    const starts = [...new Set(this.procs.map((p) => p.startMs))].sort((a, b) => a - b);
    for (const at of starts) {
      const wait = at - (Date.now() - t0);
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      for (const p of this.procs) if (p.startMs === at) p.proc.go();
    }
  }

  /** Ask every process to stop (early end, Ctrl-C); each still reports what it did. */
  stop(): void {
    for (const p of this.procs) p.proc.stop();
  }

  /** Wait for every result (or until timeoutMs, then kill the stragglers). */
  async finish(timeoutMs: number): Promise<LoadTotals> {
    const timer = setTimeout(() => { for (const p of this.procs) p.proc.kill(); }, timeoutMs);
    const settled = await Promise.allSettled(this.procs.map((p) => p.proc.result));
    clearTimeout(timer);
    const totals: LoadTotals = { generated: 0, ops: 0, errors: 0, firstError: null, byLoad: {}, byPid: {}, missingResults: 0, results: [], maxOpMs: null };
    settled.forEach((s, i) => {
      const p = this.procs[i]!;
      this.session.untrack(p.trackId);
      const by = (totals.byLoad[p.load] ??= { processes: 0, ops: 0, auditedSyscalls: 0, errors: 0, maxOpMs: null });
      by.processes++;
      if (s.status === 'rejected') {
        totals.missingResults++;
        totals.firstError ??= (s.reason as Error).message;
        // what it reported last is the best figure we have; stated as missing in the summary
        const last = p.proc.lastProgress;
        if (last) {
          if (p.counted) { totals.byPid[p.proc.pid] = last.auditedSyscalls; totals.generated += last.auditedSyscalls; }
          totals.ops += last.ops; by.ops += last.ops; by.auditedSyscalls += last.auditedSyscalls;
        }
        return;
      }
      const r = s.value;
      totals.results.push(r);
      if (p.counted) {
        totals.byPid[r.pid] = (totals.byPid[r.pid] ?? 0) + r.auditedSyscalls;
        totals.generated += r.auditedSyscalls;
      }
      totals.ops += r.ops;
      totals.errors += r.errors;
      if (r.firstError) totals.firstError ??= r.firstError;
      by.ops += r.ops;
      by.auditedSyscalls += r.auditedSyscalls;
      by.errors += r.errors;
      by.maxOpMs = maxKnown(by.maxOpMs, r.maxOpMs);
      totals.maxOpMs = maxKnown(totals.maxOpMs, r.maxOpMs);
    });
    return totals;
  }

  /** Resolves when every process has reported its result (the loads ran their course). */
  allDone(): Promise<unknown> {
    return Promise.allSettled(this.procs.map((p) => p.proc.result));
  }
}
