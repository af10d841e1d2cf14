// `auditstorm reproduce BUNDLE`: derive, scale, write the scenario, run it under tsauditd with
// unbounded, block and drop, and say whether the field's symptom came back (and whether block
// holds memory where unbounded did not). Writes reproduce.json next to the scenario.
import { mkdirSync, writeFileSync } from 'node:fs';
import { isInterruptExit } from '../host/with-host-session.ts';
import { basename, join, resolve } from 'node:path';
import { runScenario, type RunOutcome } from '../run/run-scenario.ts';
import { validateScenario } from '../scenario/load-scenario.ts';
import { DEFAULT_RESULTS_ROOT, runDirName } from '../run/results-dir.ts';
import { deriveFromBundle, type Derived, type DeriveOverrides } from './derive.ts';
import { QUEUED_RECORD_BYTES, scaleToHost, type Scale, type ScaleOptions } from './scale.ts';
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
  /** figures given on the command line, over what the bundle says */
  overrides?: DeriveOverrides;
  /** when unbounded does not show the symptom: raise the offered load, then lower the drain, step by step */
  search?: SearchOptions;
}

export interface SearchOptions {
  /** each step multiplies the offered load (or divides the drain) by this (default 1.5) */
  factor?: number;
  /** at most this many steps (default 6) */
  maxSteps?: number;
  /** each step's run length (default 10 s) */
  stepMs?: number;
  /** the offered load stops rising here, events/s (default: the host's, ScaleOptions.hostMaxEventsPerSec) */
  ceilingEventsPerSec?: number;
}

export interface SearchStep {
  step: number;
  offeredFactor: number;
  drainDivisor: number;
  offeredEventsPerSec: number;
  drainEventsPerSec: number;
  reproduced: boolean;
  peakRssBytes: number;
  kernelLost: number;
  dir: string;
}

export interface PolicyRun {
  policy: Policy;
  /** audited events the loads made */
  generated: number;
  /** the kernel's deepest backlog and the callers' total wait (ms) */
  backlogMax: number;
  backlogWaitMs: number;
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
  /** the run did not happen: the daemon never ran, the loads made nothing; it is no evidence either way */
  invalid: boolean;
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
  /** what to change when not reproduced */
  advice: string[];
  search: { steps: SearchStep[]; found: SearchStep | null; stoppedBecause: string } | null;
  warnings: string[];
}

/**
 * Memory ran away as the run judged it: an OOM kill, the daemon died, or the run's `peak_rss_max`
 * assertion failed (RSS plus the socket's unread bytes against idle + the daemon's promise, which
 * counts its receive buffer, + slack): one rule for the run and for the reproduction.
 */
function memoryRunaway(o: RunOutcome): boolean {
  const s = o.summary;
  const peak = s.assertions.find((a) => a.name === 'peak RSS under its bound');
  return s.metrics.oomKills > 0 || s.ended === 'daemon-died' || (peak !== undefined && !peak.ok);
}

function toRun(policy: Policy, o: RunOutcome): PolicyRun {
  const m = o.summary.metrics;
  return {
    generated: m.events.generated, backlogMax: m.kernel.backlogMax ?? 0, backlogWaitMs: m.kernel.backlogWaitMs ?? 0,
    policy, verdict: o.summary.verdict, peakRssBytes: m.peakRssBytes, oomKills: m.oomKills, silentLoss: m.events.silentLoss,
    kernelLost: m.kernel.lost, accountedLoss: namedLoss(m.events), ended: o.summary.ended,
    failed: o.summary.assertions.filter((a) => !a.ok).map((a) => a.name),
    memoryRunaway: memoryRunaway(o) && !(m.events.generated === 0 && m.peakRssBytes === 0),
    lossPattern: m.kernel.lost > 0 || namedLoss(m.events) > 0,
    invalid: m.events.generated === 0 && m.peakRssBytes === 0, dir: o.dir,
  };
}

const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;


/** What to change when unbounded did not show the symptom: figures from the run and the scale. */
export function adviseChanges(d: Derived, s: Scale, unb: PolicyRun | undefined): string[] {
  const out: string[] = [];
  const T = s.time.runDurationMs / 1000;
  const { meanOffered, drain } = s.overload;
  if (unb) {
    const made = unb.generated / T;
    if (made < meanOffered * 0.7) {
      out.push(`the loads made ${Math.round(made)} events/s of the ${Math.round(meanOffered)} asked: this host could not offer more; lower the drain instead (--drain ${Math.max(1, Math.round(drain / 2))}${s.drain.via === 'slow-disk' ? ` or --write-rate ${Math.max(4, Math.round((s.drain.diskBytesPerSec ?? 8192) / 2048))}KiB/s` : ''}) or run --search`);
    }
  }
  if (meanOffered < drain * 1.25) {
    out.push(`the run offers ${Math.round(meanOffered)} events/s on average against a drain of ${Math.round(drain)}: raise --rate above ${Math.round(drain * 2)} or lower --drain below ${Math.round(meanOffered / 2)}`);
  }
  const QUEUED_EVENT_BYTES = QUEUED_RECORD_BYTES * s.drain.recordsPerEvent;
  const growth = Math.max(0, meanOffered - drain) * T * QUEUED_EVENT_BYTES;
  const bound = s.memory.runHeadroomBytes;
  if (growth < bound * 1.5) {
    const needT = Math.ceil(bound * 1.5 / Math.max(1, (meanOffered - drain) * QUEUED_EVENT_BYTES));
    out.push(`at ${Math.round(meanOffered - drain)} events/s over the drain the queue grows about ${mib(growth)} in ${T.toFixed(0)} s (~${(QUEUED_EVENT_BYTES / 1024).toFixed(1)} KiB per queued event, an estimate), under the run's ${mib(bound)} headroom: give it --duration ${needT}s, or --rate ${Math.round(drain + bound * 1.5 / T / QUEUED_EVENT_BYTES)}`);
  }
  if (s.drain.via === 'slow-disk') out.push(`check that the slow-disk fault took effect (its measured write rate in the run's summary.json): on cgroup v1 buffered writes escape a bandwidth throttle (flush = ${d.daemon.flush.value})`);
  out.push('or let reproduce search: --search raises the offered load step by step, then lowers the drain, until the symptom shows');
  return out;
}

export function conclude(d: Derived, allRuns: PolicyRun[]): { reproduced: boolean; blockHoldsMemory: boolean | null; text: string } {
  const runs = allRuns.filter((r) => !r.invalid);
  const failed = allRuns.filter((r) => r.invalid);
  if (allRuns.length && !runs.length) {
    return { reproduced: false, blockHoldsMemory: null, text: `No run happened: ${failed.map((r) => r.policy).join(', ')} ended before the daemon or the loads ran (see daemon-output.txt in ${failed[0].dir}); nothing can be concluded.` };
  }
  const unb = runs.find((r) => r.policy === 'unbounded');
  const block = runs.find((r) => r.policy === 'block');
  const kinds = d.symptom.kinds.value;
  // a field that lost records had a bounded daemon; unbounded answers the same overload with
  // memory, a bounded one (block) with the field's own answer: the kernel's backlog overflowing.
  // The kernel makes a caller sleep only while its queue is over backlog_limit, so callers'
  // waits (backlog_wait_time_actual) prove the overflow as lost does; the sampled depth can
  // miss the moment the queue stood one over its limit.
  const overflowed = (r: PolicyRun) => r.policy !== 'unbounded' && (r.kernelLost > 0 || r.backlogWaitMs > 0 || r.backlogMax > d.kernel.backlogLimit.value);
  const boundedLoss = kinds.includes('loss') ? runs.find(overflowed) : undefined;
  const reproduced = (!!unb && kinds.some((k) => (k === 'memory' ? unb.memoryRunaway : unb.lossPattern || unb.memoryRunaway))) || !!boundedLoss;
  const blockHolds = block ? !block.memoryRunaway && block.oomKills === 0 : null;
  const field = kinds.map((k) => (k === 'memory' ? `runaway memory${d.symptom.oomKills.length ? ` and ${d.symptom.oomKills.length} OOM kill(s) of ${[...new Set(d.symptom.oomKills.map((o) => o.name))].join(', ')}` : ''}`
    : d.symptom.pluginQueueFullLines && !d.symptom.kernelLostDuringExcerpt.value ? `its plugin queue overflowing under load (${d.symptom.pluginQueueFullLines} "queue to plugins is full" lines)`
      : `kernel loss under load (${d.symptom.backlogExceededLines} "backlog limit exceeded" lines, audit_lost +${d.symptom.kernelLostDuringExcerpt.value ?? '?'})`)).join(' and ');
  const parts = [`The field saw ${field}.`];
  const unbShows = !!unb && kinds.some((k) => (k === 'memory' ? unb.memoryRunaway : unb.lossPattern || unb.memoryRunaway));
  if (boundedLoss && !unbShows) {
    parts.push(`Reproduced with a bounded queue (${boundedLoss.policy}), as the field's daemon was: the kernel's backlog overflowed (deepest ${boundedLoss.backlogMax} against backlog_limit ${d.kernel.backlogLimit.value}, callers waited ${boundedLoss.backlogWaitMs} ms, lost ${boundedLoss.kernelLost}).`);
  }
  if (unb) {
    parts.push(unbShows
      ? `Reproduced: with no queue bound (unbounded) tsauditd ${unb.oomKills ? `was OOM-killed or caused ${unb.oomKills} OOM kill(s)` : unb.memoryRunaway ? `ran its memory away (peak ${mib(unb.peakRssBytes)})` : `lost records as the field did (kernel lost ${unb.kernelLost})`}${kinds.includes('loss') && !kinds.includes('memory') && unb.memoryRunaway ? ': the same overload the field\'s bounded daemon answered with loss' : ''}.`
      : boundedLoss ? `Unbounded did not run its memory away in this short run (peak ${mib(unb.peakRssBytes)}, kernel lost ${unb.kernelLost}).`
        : `Not reproduced: unbounded stayed at ${mib(unb.peakRssBytes)} with ${unb.oomKills} OOM kills and kernel lost ${unb.kernelLost}; what to change is listed below.`);
  }
  if (block) {
    parts.push(blockHolds
      ? `The fix holds: with block, memory stayed bounded (peak ${mib(block.peakRssBytes)}, no OOM kill)${block.lossPattern ? `; the overload went back to the kernel (lost ${block.kernelLost}, all accounted)` : ''}${block.silentLoss ? `, but ${block.silentLoss} event(s) were lost silently` : ', no silent loss'}.`
      : `The fix does NOT hold here: block also ran away (peak ${mib(block.peakRssBytes)}, OOM kills ${block.oomKills}).`);
  }
  if (failed.length) parts.push(`${failed.map((r) => r.policy).join(', ')} did not run (the daemon or the loads never started; see ${failed[0].dir}).`);
  const drop = runs.find((r) => r.policy === 'drop');
  if (drop) parts.push(`With drop: peak ${mib(drop.peakRssBytes)}, ${drop.accountedLoss} event(s) dropped and counted, silent loss ${drop.silentLoss}.`);
  return { reproduced, blockHoldsMemory: blockHolds, text: parts.join(' ') };
}

async function runOne(scenarioYaml: string, path: string, policy: Policy, outRoot: string, say: (l: string) => void): Promise<{ run: PolicyRun; exitCode: number }> {
  const scenario = validateScenario(scenarioYaml, { path, overrides: { policy } });
  const outcome = await runScenario({ scenario, outRoot, onPhase: (l) => say(`  ${l}`) });
  const run = toRun(policy, outcome);
  say(`  ${policy}: ${run.verdict}, peak RSS ${mib(run.peakRssBytes)}, OOM kills ${run.oomKills}, kernel lost ${run.kernelLost}, silent loss ${run.silentLoss}${run.failed.length ? ` (failed: ${run.failed.join('; ')})` : ''}`);
  return { run, exitCode: outcome.exitCode };
}

/** the field's symptom in one unbounded run */
function shows(d: Derived, r: PolicyRun): boolean {
  return d.symptom.kinds.value.some((k) => (k === 'memory' ? r.memoryRunaway : r.lossPattern || r.memoryRunaway));
}

export async function reproduce(o: ReproduceOptions): Promise<ReproduceResult> {
  const say = o.onLine ?? (() => {});
  const bundle = resolve(o.bundle);
  const derived = deriveFromBundle(bundle, o.overrides);
  const scaleOpts: ScaleOptions = { ...o.scale, maxDurationMs: o.maxDurationMs ?? o.scale?.maxDurationMs };
  let scale = scaleToHost(derived, scaleOpts);
  const name = `reproduce-${basename(bundle).toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 50).replace(/^-+|-+$/g, '') || 'bundle'}`;
  const dir = join(o.outRoot ?? DEFAULT_RESULTS_ROOT, runDirName(name, 'tsauditd'));
  mkdirSync(dir, { recursive: true });
  let built = buildScenario(derived, scale, dir, name);
  for (const w of built.warnings) say(`warning: ${w}`);
  say(`scenario: ${built.scenarioPath}`);
  const runs: PolicyRun[] = [];
  let search: ReproduceResult['search'] = null;
  const write = () => {
    const c = conclude(derived, runs);
    const unb = runs.find((r) => r.policy === 'unbounded');
    const advice = unb && !unb.invalid && !c.reproduced ? adviseChanges(derived, scale, unb) : [];
    let text = c.text;
    if (search) {
      text += search.found
        ? ` Found by --search at step ${search.found.step}: offered x${search.found.offeredFactor.toFixed(2)}, drain /${search.found.drainDivisor.toFixed(2)} (${Math.round(search.found.offeredEventsPerSec)} events/s against ${Math.round(search.found.drainEventsPerSec)}): the field's own figures were too mild by that much.`
        : ` --search did not show it either: ${search.stoppedBecause}.`;
    }
    const result: ReproduceResult = {
      bundle, dir, scenarioPath: built.scenarioPath, derived, scale, runs, reproduced: c.reproduced, blockHoldsMemory: c.blockHoldsMemory,
      conclusion: text, advice, search, warnings: built.warnings,
    };
    writeFileSync(join(dir, 'reproduce.json'), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  };
  write();
  if (o.dryRun) return write();
  const policies = o.policies ?? ['unbounded', 'block', 'drop'];
  const runAll = async (which: Policy[]): Promise<boolean> => {
    for (const policy of which) {
      say(`run: tsauditd --policy ${policy} for ${(scale.time.runDurationMs / 1000).toFixed(0)} s`);
      const { run, exitCode } = await runOne(built.yaml, built.scenarioPath, policy, join(dir, 'runs'), say);
      runs.push(run);
      write();
      if (isInterruptExit(exitCode)) return false;
    }
    return true;
  };
  if (!(await runAll(policies))) return write();
  if (o.search && !conclude(derived, runs).reproduced) {
    // the symptom is looked for with unbounded (it shows any overload as memory); the policies
    // asked for are then run again at the step that showed it
    const stepRuns = new Map<number, { scale: Scale; run: PolicyRun }>();
    search = await searchSymptom(derived, scaleOpts, o.search, dir, name, say, (step, scale, run) => stepRuns.set(step, { scale, run }));
    if (search.found) {
      scale = scaleToHost(derived, { ...scaleOpts, offeredFactor: search.found.offeredFactor, drainDivisor: search.found.drainDivisor });
      built = buildScenario(derived, scale, dir, name);
      say(`search: the scenario now uses step ${search.found.step} (${built.scenarioPath})`);
      runs.length = 0;
      // the found step ran unbounded on this very scale already: that run stands, not a second one
      const same = stepRuns.get(search.found.step);
      const again = same && JSON.stringify(same.scale) === JSON.stringify(scale) && policies.includes('unbounded') ? same.run : null;
      if (again) {
        say('search: the found step ran unbounded at this scale: its run is kept');
        runs.push(again);
      }
      write();
      await runAll(policies.filter((p) => !(again && p === 'unbounded')));
    }
  }
  return write();
}

/** Raise the offered load step by step up to the ceiling, then lower the drain, until unbounded shows the symptom. */
async function searchSymptom(d: Derived, base: ScaleOptions, o: SearchOptions, dir: string, name: string, say: (l: string) => void,
  onRun: (step: number, scale: Scale, run: PolicyRun) => void): Promise<NonNullable<ReproduceResult['search']>> {
  const factor = o.factor ?? 1.5;
  const maxSteps = o.maxSteps ?? 6;
  const stepMs = o.stepMs ?? 10_000;
  const ceiling = o.ceilingEventsPerSec ?? base.hostMaxEventsPerSec ?? 20_000;
  const steps: SearchStep[] = [];
  let offeredFactor = 1;
  let drainDivisor = 1;
  const peak0 = scaleToHost(d, { ...base, maxDurationMs: stepMs }).rate.runPeak;
  say(`search: up to ${maxSteps} steps of ${stepMs / 1000} s, x${factor} each; the offered load stops at ${ceiling} events/s, then the drain is lowered`);
  let loadsCapped = false;
  for (let step = 1; step <= maxSteps; step++) {
    if (!loadsCapped && peak0 * offeredFactor * factor <= ceiling) offeredFactor *= factor;
    else drainDivisor *= factor;
    const s = scaleToHost(d, { ...base, maxDurationMs: stepMs, minDurationMs: Math.min(stepMs, base.minDurationMs ?? 10_000), offeredFactor, drainDivisor });
    if (s.drain.via === 'slow-disk' && (s.drain.diskBytesPerSec ?? 0) <= 4096 && drainDivisor > 1) {
      return { steps, found: null, stoppedBecause: `the slow disk is at its floor (4 KiB/s) and the offered load at its ceiling (${ceiling} events/s) after ${step - 1} step(s)` };
    }
    const stepDir = join(dir, `search-${step}`);
    const built = buildScenario(d, s, stepDir, `${name}-search-${step}`);
    say(`search step ${step}: offered x${offeredFactor.toFixed(2)} (${Math.round(s.overload.meanOffered)} events/s), drain /${drainDivisor.toFixed(2)} (${Math.round(s.overload.drain)} events/s), ${(s.time.runDurationMs / 1000).toFixed(0)} s`);
    const { run, exitCode } = await runOne(built.yaml, built.scenarioPath, 'unbounded', join(stepDir, 'runs'), say);
    const rec: SearchStep = { step, offeredFactor, drainDivisor, offeredEventsPerSec: s.overload.meanOffered, drainEventsPerSec: s.overload.drain, reproduced: shows(d, run), peakRssBytes: run.peakRssBytes, kernelLost: run.kernelLost, dir: run.dir };
    steps.push(rec);
    onRun(step, s, run);
    // the loads could not make what was asked: raising it further is no use, lower the drain
    if (!loadsCapped && run.generated / (s.time.runDurationMs / 1000) < 0.7 * s.overload.meanOffered) {
      loadsCapped = true;
      say(`search: the loads made ${Math.round(run.generated / (s.time.runDurationMs / 1000))} events/s of ${Math.round(s.overload.meanOffered)}: the offered load stays, the drain is lowered from here`);
    }
    if (rec.reproduced) return { steps, found: rec, stoppedBecause: 'the symptom showed' };
    if (isInterruptExit(exitCode)) return { steps, found: null, stoppedBecause: 'interrupted' };
  }
  return { steps, found: null, stoppedBecause: `${maxSteps} steps (offered x${offeredFactor.toFixed(2)}, drain /${drainDivisor.toFixed(2)}) without the symptom; raise --search-steps, or look at the run's summary.json (did the fault take effect? did the loads reach their rate?)` };
}
