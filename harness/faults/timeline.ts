// The fault timeline: every fault's windows (at, for, repeat) laid out from the moment the
// loads are released, applied and ended on time, each start and end written to metrics.jsonl
// (fault-start / fault-end) and kept for summary.json. stopAll() ends whatever is still active
// in a safe order (thaw and SIGCONT before anything else, restarts last) and cancels the rest;
// the runner calls it before the drain and on every exit path. Each window's fault measures its
// own effect; effectAssertions() turns those into "<fault> took effect" assertions.
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultSpec } from '../scenario/schema.ts';
import type { AppliedFault, FaultContext, FaultDetail, FaultEffect } from './fault-types.ts';
import { FAULT_IMPLS } from './kinds.ts';
import { discardPreparedBursts } from './burst.ts';

export interface FaultWindowRecord {
  kind: string;
  /** the fault's index in the scenario's `faults` list */
  index: number;
  /** 0 for the first window, 1.. for repeats */
  occurrence: number;
  /** ms since the run's start (the `t` of metrics.jsonl) */
  startMs: number;
  /** null: still active when recorded, or the window never ended (crash without restart) */
  endMs: number | null;
  detail: FaultDetail;
  /** what the fault measured of its own effect over the window (set when the window ends) */
  effect?: FaultEffect;
  /** the fault could not be applied or undone: why */
  error?: string;
}

/** Shaped like verdict's Assertion (this layer does not import the verdict). */
export interface EffectAssertion { name: string; ok: boolean; actual: string; limit: string; detail?: string }

export function windowName(w: Pick<FaultWindowRecord, 'kind' | 'index' | 'occurrence'>): string {
  return `${w.kind}#${w.index}${w.occurrence ? `.${w.occurrence}` : ''}`;
}

/** One assertion per window: the fault took effect (measured), or it could not be applied. */
export function effectAssertions(windows: readonly FaultWindowRecord[]): EffectAssertion[] {
  return windows.map((w): EffectAssertion => {
    const name = `${windowName(w)} took effect`;
    if (w.effect) {
      return { name, ok: w.effect.ok, actual: w.effect.measured, limit: w.effect.expected,
        ...(w.effect.ok ? {} : { detail: `${w.effect.measured}${w.effect.fix ? `: ${w.effect.fix}` : ''}` }) };
    }
    if (w.error) return { name, ok: false, actual: 'not applied', limit: 'applied', detail: w.error };
    return { name, ok: false, actual: 'not measured', limit: 'measured', detail: 'the window never ended, so its effect was not measured' };
  });
}

export interface PlannedWindow {
  spec: FaultSpec;
  occurrence: number;
  /** ms after the loads' release */
  startAt: number;
  /** ms after the loads' release; null: until the run stops */
  endAt: number | null;
}

/** Lay out every window of every fault (pure: tested on its own). */
export function planWindows(faults: readonly FaultSpec[]): PlannedWindow[] {
  const out: PlannedWindow[] = [];
  for (const spec of faults) {
    if (spec.kind === 'late-start') {
      out.push({ spec, occurrence: 0, startAt: 0, endAt: spec.at });
      continue;
    }
    const times = spec.repeat?.times ?? 1;
    const every = spec.repeat?.every ?? 0;
    const length = spec.kind === 'crash'
      ? (spec.restart_after === 'never' ? null : spec.restart_after)
      : (spec.for ?? null);
    for (let k = 0; k < times; k++) {
      const startAt = spec.at + k * every;
      out.push({ spec, occurrence: k, startAt, endAt: length === null ? null : startAt + length });
    }
  }
  return out.sort((a, b) => a.startAt - b.startAt || a.spec.index - b.spec.index);
}

export interface TimelineOptions {
  faults: readonly FaultSpec[];
  ctx: FaultContext;
  /** epoch ms of the run's start (metrics t = 0) */
  runStartMs: number;
  /** sampler.event */
  event: (name: string, fields: Record<string, unknown>) => void;
}

interface Active { plan: PlannedWindow; record: FaultWindowRecord; applied: AppliedFault; ending: Promise<void> | null }

export class FaultTimeline {
  readonly windows: FaultWindowRecord[] = [];
  private readonly plans: PlannedWindow[];
  private readonly active = new Set<Active>();
  private readonly abort = new AbortController();
  private readonly startedKeys = new Set<string>();
  private running: Promise<unknown> | null = null;
  private stopped = false;
  /** errors applying or ending a fault, for the run's warnings and a failing assertion */
  readonly errors: string[] = [];

  constructor(private readonly o: TimelineOptions) {
    this.plans = planWindows(o.faults);
    // one waiting window per planned occurrence listens on the signal (crash: 100 repeats)
    setMaxListeners(0, this.abort.signal);
  }

  /** true if some fault starts with the daemon down (late-start): the runner does not start it */
  get daemonStartsLate(): boolean {
    return this.o.faults.some((f) => f.kind === 'late-start');
  }

  /** Work to do before the loads are released (burst processes made ready). */
  async prepare(): Promise<void> {
    for (const p of this.plans) {
      if (p.occurrence === 0) await FAULT_IMPLS[p.spec.kind].prepare?.(p.spec, this.o.ctx, p.occurrence);
    }
  }

  /** Start the clock: call right after the loads are released. */
  start(): void {
    const t0 = Date.now();
    this.running = Promise.all(this.plans.map((p) => this.runWindow(p, t0)));
  }

  /** The daemon is down on purpose (crash gap, before late-start): not a death. */
  daemonDown(): boolean {
    for (const a of this.active) if (a.applied.daemonDown?.()) return true;
    return false;
  }

  private now(): number {
    return Date.now() - this.o.runStartMs;
  }

  private async runWindow(p: PlannedWindow, t0: number): Promise<void> {
    const signal = this.abort.signal;
    const waitUntil = async (at: number) => {
      const ms = t0 + at - Date.now();
      if (ms > 0) await sleep(ms, undefined, { signal }).catch(() => undefined);
    };
    await waitUntil(p.startAt);
    if (signal.aborted || this.stopped) return;
    const impl = FAULT_IMPLS[p.spec.kind];
    const record: FaultWindowRecord = { kind: p.spec.kind, index: p.spec.index, occurrence: p.occurrence, startMs: this.now(), endMs: null, detail: {} };
    this.windows.push(record);
    this.startedKeys.add(`${p.spec.index}/${p.occurrence}`);
    let applied: AppliedFault;
    try {
      applied = await impl.apply(p.spec, this.o.ctx, p.occurrence);
    } catch (err) {
      record.error = (err as Error).message;
      record.endMs = this.now();
      this.errors.push(record.error);
      this.o.event('fault-error', { kind: p.spec.kind, index: p.spec.index, occurrence: p.occurrence, message: record.error });
      return;
    }
    record.detail = { ...applied.detail };
    this.o.event('fault-start', { kind: p.spec.kind, index: p.spec.index, occurrence: p.occurrence, ...applied.detail });
    const a: Active = { plan: p, record, applied, ending: null };
    this.active.add(a);
    if (p.endAt === null) return; // until stopAll
    await waitUntil(p.endAt);
    // stopped early: stopAll ends it, in its safe order
    if (signal.aborted) return;
    await this.end(a);
  }

  private end(a: Active): Promise<void> {
    a.ending ??= (async () => {
      try {
        const more = await a.applied.end();
        if (more) Object.assign(a.record.detail, more);
      } catch (err) {
        a.record.error = `undo: ${(err as Error).message}`;
        this.errors.push(`faults[${a.plan.spec.index}] (${a.plan.spec.kind}) ${a.record.error}`);
      }
      try {
        a.record.effect = a.applied.effect(a.record.detail);
      } catch (err) {
        a.record.effect = { ok: false, measured: `not measured: ${(err as Error).message}`, expected: 'a measurement' };
      }
      a.record.endMs = this.now();
      this.o.event('fault-end', { kind: a.record.kind, index: a.record.index, occurrence: a.record.occurrence, ...a.record.detail, effect: a.record.effect, ...(a.record.error ? { error: a.record.error } : {}) });
      this.active.delete(a);
    })();
    return a.ending;
  }

  /** "<fault> took effect" for every window that started (call after stopAll). */
  effectAssertions(): EffectAssertion[] {
    return effectAssertions(this.windows);
  }

  /** End every active fault (thaw, continue first; restarts last), cancel the pending ones. Idempotent. */
  async stopAll(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    // windows between apply and being registered active finish applying first
    for (let i = 0; i < 100 && this.pendingApplies(); i++) await sleep(50);
    const order = [...this.active].sort((x, y) => FAULT_IMPLS[x.plan.spec.kind].endPriority - FAULT_IMPLS[y.plan.spec.kind].endPriority);
    for (const a of order) {
      // a crash without restart stays down: its end() is a no-op that says so
      await this.end(a);
    }
    await discardPreparedBursts(this.o.ctx, this.startedKeys);
    await this.running?.catch(() => undefined);
  }

  private pendingApplies(): boolean {
    return this.windows.some((w) => w.endMs === null && ![...this.active].some((a) => a.record === w));
  }
}
