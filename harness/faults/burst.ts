// burst: extra load processes on top of the steady load for `for` (e.g. a boot storm or a cron
// job). Each occurrence's processes are started and made ready ahead of time (prepare: before
// the loads are released, the next one when one starts), so the spike begins on time; they run
// for the window and their audited syscalls are added to what the run generated. Their host
// change (processes) is tracked by LoadSet like any load's.
import { deriveSeed } from '../../loads/generators/prng.ts';
import { generatorOptions } from '../../loads/generators/options.ts';
import { LoadSet } from '../run/load-set.ts';
import type { FaultContext, FaultKindImpl, FaultSpec, LoadSpec } from './fault-types.ts';

type BurstSpec = Extract<FaultSpec, { kind: 'burst' }>;

const prepared = new WeakMap<FaultContext, Map<string, Promise<LoadSet>>>();

function loadSpecOf(spec: BurstSpec, occurrence: number): LoadSpec {
  return {
    name: `burst${spec.index}-${occurrence}`,
    generator: spec.generator,
    processes: spec.processes,
    rate: spec.rate,
    shape: { kind: 'steady' },
    durationMs: spec.for,
    count: null,
    startMs: 0,
    options: generatorOptions[spec.generator].parse(spec.options),
  } as LoadSpec;
}

function prepareOne(spec: BurstSpec, ctx: FaultContext, occurrence: number): Promise<LoadSet> {
  const map = prepared.get(ctx) ?? new Map<string, Promise<LoadSet>>();
  prepared.set(ctx, map);
  const key = `${spec.index}/${occurrence}`;
  let p = map.get(key);
  if (!p) {
    p = LoadSet.prepare({
      loads: [loadSpecOf(spec, occurrence)], auid: ctx.burst.auid,
      // a seed of its own per fault and occurrence, repeatable from the run's seed
      seed: deriveSeed(ctx.burst.seed, 1000 + spec.index, occurrence),
      scratchDir: ctx.burst.scratchDir, session: ctx.session, onProgress: ctx.burst.onProgress,
    });
    p.catch(() => undefined);
    map.set(key, p);
  }
  return p;
}

export const burst: FaultKindImpl = {
  endPriority: 3,
  async prepare(spec, ctx, occurrence) {
    if (spec.kind === 'burst') await prepareOne(spec, ctx, occurrence);
  },
  async apply(spec, ctx, occurrence) {
    if (spec.kind !== 'burst') throw new Error('wrong kind');
    const set = await prepareOne(spec, ctx, occurrence);
    if (spec.repeat && occurrence + 1 < spec.repeat.times) void prepareOne(spec, ctx, occurrence + 1).catch(() => undefined);
    const stop = new AbortController();
    void set.go(stop.signal);
    return {
      detail: { generator: spec.generator, processes: spec.processes, rate: spec.rate, pids: set.pids },
      async end() {
        stop.abort();
        set.stop();
        const totals = await set.finish(15_000);
        ctx.burst.addTotals(totals);
        return { generated: totals.generated, errors: totals.errors };
      },
      effect: (d) => Number(d.generated ?? 0) > 0
        ? { ok: true, measured: `${String(d.generated)} audited operations by ${spec.processes} extra process(es)`, expected: 'operations > 0' }
        : { ok: false, measured: `0 operations (${String(d.errors ?? 0)} errors)`, expected: 'operations > 0', fix: 'the burst processes made nothing: check the generator options and the window length' },
    };
  },
};

/** Burst processes prepared for occurrences that never started (the run ended first): stop them. */
export async function discardPreparedBursts(ctx: FaultContext, started: Set<string>): Promise<void> {
  const map = prepared.get(ctx);
  if (!map) return;
  for (const [key, p] of map) {
    if (started.has(key)) continue;
    const set = await p.catch(() => null);
    if (!set) continue;
    set.stop();
    await set.finish(5000).catch(() => undefined);
  }
  prepared.delete(ctx);
}
