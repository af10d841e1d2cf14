// The generators' longest-op figure (ResultLine.maxOpMs), which bounds how long any one audited
// record of theirs waited in the kernel: real generator processes, no kernel audit (auid left
// as it is). A command that takes a known time must show as at least that long; fast ops must
// stay far under it; an asynchronous generator reports none.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatorOptions, type GeneratorName } from '../../../loads/generators/options.ts';
import { startTogether } from '../../../loads/generators/process.ts';
import type { GeneratorConfig, ResultLine } from '../../../loads/generators/common.ts';

const SLOW = join(import.meta.dirname, '../../fixtures/loads/slow-true.sh');

async function runOne(t: Test, generator: GeneratorName, run: { count: number } | { rate: number; durationMs: number },
  options: Record<string, unknown> = {}): Promise<ResultLine> {
  const scratchDir = mkdtempSync(join(tmpdir(), 'op-time-'));
  t.teardown(() => rmSync(scratchDir, { recursive: true, force: true }));
  const pace = 'count' in run ? { rate: 'max', durationMs: null, count: run.count } : { rate: run.rate, durationMs: run.durationMs, count: null };
  const config = {
    generator, auid: null, seed: 1, shape: { kind: 'steady' }, ...pace, scratchDir,
    options: generatorOptions[generator].parse(options),
  } as unknown as GeneratorConfig;
  const [proc] = await startTogether([config]);
  return proc!.result;
}

t.test('a sync op of known length is reported at least that long', async (t) => {
  const r = await runOne(t, 'fork-exec', { count: 3 }, { command: SLOW });
  t.equal(r.ops, 3);
  t.equal(r.errors, 0, r.firstError ?? 'no error');
  t.ok(r.maxOpMs !== null && r.maxOpMs >= 150, `longest op ${r.maxOpMs} ms >= the command's 150 ms sleep`);
  t.ok(r.maxOpMs !== null && r.maxOpMs <= r.endedAt - r.startedAt, 'and no longer than the whole run');
});

t.test('fast sync ops are reported as fast: per op, not per run', async (t) => {
  // 1,000 ops spread over a second: the run is far longer than an op
  const r = await runOne(t, 'open-close', { rate: 1000, durationMs: 1000 });
  t.ok(r.ops >= 900, `${r.ops} ops`);
  t.ok(r.endedAt - r.startedAt >= 900, `over ${Math.round(r.endedAt - r.startedAt)} ms`);
  t.ok(r.maxOpMs !== null && r.maxOpMs > 0 && r.maxOpMs < 250, `longest openat+close ${r.maxOpMs} ms, well under the run's second`);
});

t.test('an asynchronous generator reports no op time', async (t) => {
  const r = await runOne(t, 'tcp', { count: 50 });
  t.equal(r.ops, 50);
  t.equal(r.maxOpMs, null);
});
