// `auditstorm reproduce BUNDLE`: derive, scale, write the scenario, run it under tsauditd with
// unbounded, block and drop, and say whether the field's symptom came back (and whether block
// holds memory where unbounded did not). Writes reproduce.json next to the scenario.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { runScenario, type RunOutcome } from '../run/run-scenario.ts';
import { validateScenario } from '../scenario/load-scenario.ts';
import { DEFAULT_RESULTS_ROOT, runDirName } from '../run/results-dir.ts';
import { deriveFromBundle, type Derived } from './derive.ts';
import { scaleToHost, type Scale, type ScaleOptions } from './scale.ts';
import { buildScenario } from './build-scenario.ts';
import type { Policy } from '../scenario/schema.ts';
import { namedLoss } from '../verdict/accounting.ts';

export interface ReproduceOptions {
  bundle: string;
  /** results root (default results/) */
  outRoot?: string;
  /** upper bound on each run's duration in ms */
  maxDurationMs?: number;
  policies?: Policy[];
  scale?: ScaleOptions;
  /** derive and write the scenario, but run nothing */
  dryRun?: boolean;
  onLine?: (line: string) => void;
}

export interface PolicyRun {
  policy: Policy;
  verdict: 'pass' | 'fail';
  peakRssBytes: number;
  oomKills: number;
  silentLoss: number;
  kernelLost: number;
  accountedLoss: number;
  ended: string;
  failed: string[];
  memoryRunaway: boolean;
  lossPattern: boolean;
  dir: string;
}

export interface ReproduceResult {
  bundle: string;
  dir: string;
  scenarioPath: string;
  derived: Derived;
  scale: Scale;
  runs: PolicyRun[];
  reproduced: boolean;
  blockHoldsMemory: boolean | null;
  conclusion: string;
}

function memoryRunaway(o: RunOutcome): boolean {
  const s = o.summary;
  const peak = s.assertions.find((a) => a.name === 'peak RSS under its bound');
  return s.metrics.oomKills > 0 || s.ended === 'daemon-died' || (peak ? !peak.ok : false);
}

function toRun(policy: Policy, o: RunOutcome): PolicyRun {
  const m = o.summary.metrics;
  return {
    policy, verdict: o.summary.verdict, peakRssBytes: m.peakRssBytes, oomKills: m.oomKills, silentLoss: m.events.silentLoss,
    kernelLost: m.kernel.lost, accountedLoss: namedLoss(m.events), ended: o.summary.ended,
    failed: o.summary.assertions.filter((a) => !a.ok).map((a) => a.name),
    memoryRunaway: memoryRunaway(o), lossPattern: m.kernel.lost > 0 || namedLoss(m.events) > 0, dir: o.dir,
  };
}

const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;

export function conclude(d: Derived, runs: PolicyRun[]): { reproduced: boolean; blockHoldsMemory: boolean | null; text: string } {
  const unb = runs.find((r) => r.policy === 'unbounded');
  const block = runs.find((r) => r.policy === 'block');
  const kinds = d.symptom.kinds.value;
  // a field that lost records had a bounded daemon; unbounded answers the same overload with memory
  const reproduced = !!unb && kinds.some((k) => (k === 'memory' ? unb.memoryRunaway : unb.lossPattern || unb.memoryRunaway));
  const blockHolds = block ? !block.memoryRunaway && block.oomKills === 0 : null;
  const field = kinds.map((k) => (k === 'memory' ? `runaway memory${d.symptom.oomKills.length ? ` and ${d.symptom.oomKills.length} OOM kill(s) of ${[...new Set(d.symptom.oomKills.map((o) => o.name))].join(', ')}` : ''}` : `kernel loss under load (${d.symptom.backlogExceededLines} "backlog limit exceeded" lines, audit_lost +${d.symptom.kernelLostDuringExcerpt.value ?? '?'})`)).join(' and ');
  const parts = [`The field saw ${field}.`];
  if (unb) {
    parts.push(reproduced
      ? `Reproduced: with no queue bound (unbounded) tsauditd ${unb.oomKills ? `was OOM-killed or caused ${unb.oomKills} OOM kill(s)` : unb.memoryRunaway ? `ran its memory away (peak ${mib(unb.peakRssBytes)})` : `lost records as the field did (kernel lost ${unb.kernelLost})`}${kinds.includes('loss') && !kinds.includes('memory') && unb.memoryRunaway ? ': the same overload the field\'s bounded daemon answered with loss' : ''}.`
      : `Not reproduced: unbounded stayed at ${mib(unb.peakRssBytes)} with ${unb.oomKills} OOM kills and kernel lost ${unb.kernelLost}; the derived load or drain may be too mild (edit the scenario and re-run).`);
  }
  if (block) {
    parts.push(blockHolds
      ? `The fix holds: with block, memory stayed bounded (peak ${mib(block.peakRssBytes)}, no OOM kill)${block.lossPattern ? `; the overload went back to the kernel (lost ${block.kernelLost}, all accounted)` : ''}${block.silentLoss ? `, but ${block.silentLoss} event(s) were lost silently` : ', no silent loss'}.`
      : `The fix does NOT hold here: block also ran away (peak ${mib(block.peakRssBytes)}, OOM kills ${block.oomKills}).`);
  }
  const drop = runs.find((r) => r.policy === 'drop');
  if (drop) parts.push(`With drop: peak ${mib(drop.peakRssBytes)}, ${drop.accountedLoss} event(s) dropped and counted, silent loss ${drop.silentLoss}.`);
  return { reproduced, blockHoldsMemory: blockHolds, text: parts.join(' ') };
}

export async function reproduce(o: ReproduceOptions): Promise<ReproduceResult> {
  const say = o.onLine ?? (() => {});
  const bundle = resolve(o.bundle);
  const derived = deriveFromBundle(bundle);
  const scale = scaleToHost(derived, { ...o.scale, maxDurationMs: o.maxDurationMs ?? o.scale?.maxDurationMs });
  const name = `reproduce-${basename(bundle).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'bundle'}`;
  const dir = join(o.outRoot ?? DEFAULT_RESULTS_ROOT, runDirName(name, 'tsauditd'));
  mkdirSync(dir, { recursive: true });
  const built = buildScenario(derived, scale, dir, name);
  say(`scenario: ${built.scenarioPath}`);
  const runs: PolicyRun[] = [];
  const write = (extra: Partial<ReproduceResult>) => {
    const c = conclude(derived, runs);
    const result: ReproduceResult = { bundle, dir, scenarioPath: built.scenarioPath, derived, scale, runs, reproduced: c.reproduced, blockHoldsMemory: c.blockHoldsMemory, conclusion: c.text, ...extra };
    writeFileSync(join(dir, 'reproduce.json'), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  };
  write({});
  if (!o.dryRun) {
    for (const policy of o.policies ?? ['unbounded', 'block', 'drop']) {
      say(`run: tsauditd --policy ${policy} for ${(scale.time.runDurationMs / 1000).toFixed(0)} s`);
      const scenario = validateScenario(built.yaml, { path: built.scenarioPath, overrides: { policy } });
      const outcome = await runScenario({ scenario, outRoot: join(dir, 'runs'), onPhase: (l) => say(`  ${l}`) });
      const run = toRun(policy, outcome);
      runs.push(run);
      say(`  ${policy}: ${run.verdict}, peak RSS ${mib(run.peakRssBytes)}, OOM kills ${run.oomKills}, kernel lost ${run.kernelLost}, silent loss ${run.silentLoss}${run.failed.length ? ` (failed: ${run.failed.join('; ')})` : ''}`);
      write({});
      if (outcome.exitCode === 130) break;
    }
  }
  return write({});
}
