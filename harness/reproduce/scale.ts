// Scale the field's incident to this machine, honestly: when the field's rate or memory exceeds
// what this host can produce or hold, rate, memory and duration are scaled together, so the
// incident keeps its shape (the time to exhaust memory scales with memory / rate), and every
// factor is stated.
import { readFileSync } from 'node:fs';
import { formatDuration } from '../scenario/units.ts';
import type { Derived } from './derive.ts';

export interface ScaleOptions {
  /** the most audited events/s this host's load generators and kernel path take (default 20,000) */
  hostMaxEventsPerSec?: number;
  /** the most memory a reproduction may give the daemon's queue (default 96 MiB) */
  maxHeadroomBytes?: number;
  /** run length bounds (default 10 s .. 120 s); --duration sets the upper one */
  minDurationMs?: number;
  maxDurationMs?: number;
  /** the host's MemAvailable (default: read /proc/meminfo) */
  hostMemAvailableBytes?: number;
}

export interface Scale {
  rate: { fieldPeakOffered: number; fieldMeanOffered: number; runPeak: number; runMean: number; factor: number; why: string };
  memory: { fieldHeadroomBytes: number; runHeadroomBytes: number; factor: number; daemonBaselineBytes: number; memoryLimitBytes: number; why: string };
  time: { fieldSpanSec: number; naturalRunSec: number; runDurationMs: number; factor: number; why: string };
  drain: { fraction: number; runEventsPerSec: number; recordsPerEvent: number; pluginRecordsPerSec: number; why: string };
  kernel: { backlogWaitTimeMs: number; rateLimit: number; why: string[] };
  /** one line per decision, for the printout */
  statements: string[];
}

/** tsauditd (Node + its reader thread) idles near 100 MiB where a C auditd takes 3 MB: that
 *  baseline is added to the cgroup limit, not scaled. */
export const DAEMON_BASELINE_BYTES = 128 * 1024 * 1024;
const MAX_TEST_BACKLOG_WAIT_MS = 2000;

function hostMemAvailable(): number {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) * 1024 : 1024 ** 3;
  } catch {
    return 1024 ** 3;
  }
}

const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
const x = (f: number) => (f >= 0.995 ? '1x (not scaled)' : `${f.toFixed(3)}x`);

export function scaleToHost(d: Derived, o: ScaleOptions = {}): Scale {
  const hostMax = o.hostMaxEventsPerSec ?? 20_000;
  const statements: string[] = [];
  // offered load = what the log shows + what the kernel lost on top of it
  const lost = d.symptom.kernelLostDuringExcerpt.value ?? 0;
  const rpe = d.load.recordsPerEvent.value;
  const span = d.load.spanSec.value;
  const burstSecs = d.load.bursts.value.reduce((a, b) => a + b.lengthSec, 0);
  const lostEventsPerSec = lost / Math.max(1, rpe) / Math.max(1, burstSecs || span);
  const fieldPeakOffered = d.load.peakEventsPerSec.value + lostEventsPerSec;
  const fieldMeanOffered = d.load.meanEventsPerSec.value + lost / Math.max(1, rpe) / Math.max(1, span);
  const rateFactor = Math.min(1, hostMax / fieldPeakOffered);
  const rate = {
    fieldPeakOffered, fieldMeanOffered, runPeak: fieldPeakOffered * rateFactor, runMean: fieldMeanOffered * rateFactor, factor: rateFactor,
    why: rateFactor < 1
      ? `the field offered up to ${Math.round(fieldPeakOffered)} events/s; this host's loads take about ${hostMax}: rate scaled by ${x(rateFactor)}`
      : `the field's peak of ${Math.round(fieldPeakOffered)} events/s (logged${lost ? ' + lost' : ''}) fits this host (up to ~${hostMax}): rate not scaled`,
  };
  statements.push(`rate: ${rate.why}`);

  const fieldHeadroom = d.memory.availableBytes.value;
  const budget = Math.min(o.maxHeadroomBytes ?? 96 * 1024 * 1024, (o.hostMemAvailableBytes ?? hostMemAvailable()) / 8);
  const runHeadroom = Math.min(fieldHeadroom, budget);
  const memFactor = runHeadroom / fieldHeadroom;
  const memory = {
    fieldHeadroomBytes: fieldHeadroom, runHeadroomBytes: runHeadroom, factor: memFactor, daemonBaselineBytes: DAEMON_BASELINE_BYTES,
    memoryLimitBytes: Math.ceil((DAEMON_BASELINE_BYTES + runHeadroom) / 1048576) * 1048576,
    why: `the field had ${mib(fieldHeadroom)} available (${d.memory.availableBytes.source}); the run's cgroup gives the queue ${mib(runHeadroom)} (${x(memFactor)}) on top of tsauditd's ${mib(DAEMON_BASELINE_BYTES)} baseline: limit ${mib(DAEMON_BASELINE_BYTES + runHeadroom)}`,
  };
  statements.push(`memory: ${memory.why}`);

  // memory fills in (headroom / deficit rate): scaling memory by m and rate by r scales that time by m/r
  const natural = span * (memFactor / rateFactor);
  const minMs = o.minDurationMs ?? 10_000;
  const maxMs = o.maxDurationMs ?? 120_000;
  // a burst must fit whole (moved to t+2 s, see build-scenario.ts), plus 2 s after it
  const burstNeed = d.load.bursts.value.length ? (2 + d.load.bursts.value.reduce((m, b) => Math.max(m, b.lengthSec), 0) + 2) * 1000 : 0;
  const runMs = Math.round(Math.min(maxMs, Math.max(minMs, burstNeed, natural * 1000)) / 1000) * 1000;
  const timeFactor = runMs / 1000 / span;
  let timeWhy = `the field excerpt spans ${Math.round(span)} s; memory ${x(memFactor)} over rate ${x(rateFactor)} makes it ${natural.toFixed(1)} s here`;
  if (natural * 1000 < minMs) timeWhy += `; lengthened to ${formatDuration(runMs)} (the shortest useful run): the queue has more time to grow than the field had, so a runaway shows sooner, not later`;
  else if (natural * 1000 > maxMs) timeWhy += `; cut to ${formatDuration(runMs)} (--duration): ${(natural * 1000 / runMs).toFixed(1)}x shorter, so the run shows the growth toward the limit, maybe not the kill`;
  if (burstNeed) timeWhy += `; bursts keep their field length, rate and gap (their excess volume is what overflows a queue or the backlog), the first moved to t+2 s`;
  statements.push(`time: ${timeWhy}`);

  const recordsPerEvent = d.load.loads.reduce((a, l) => a + l.share * (l.generator === 'user-message' ? 1 : l.generator === 'fork-exec' || l.generator === 'file-write' ? 6 : 5), 0) || 5;
  const fraction = d.symptom.drainFraction.value;
  const drainEps = rate.runPeak * fraction;
  const drain = {
    fraction, runEventsPerSec: drainEps, recordsPerEvent, pluginRecordsPerSec: Math.max(50, Math.round(drainEps * recordsPerEvent)),
    why: `the field daemon drained ${(fraction * 100).toFixed(0)}% of the offered peak (${d.symptom.drainFraction.note ?? d.symptom.drainFraction.source}); here a paced dispatcher plugin (overflow_action block) lets tsauditd drain ${Math.round(drainEps)} events/s (${Math.max(50, Math.round(drainEps * recordsPerEvent))} records/s at ~${recordsPerEvent.toFixed(1)} records/event)`,
  };
  statements.push(`drain: ${drain.why}`);

  const kwhy: string[] = [];
  let bwt = d.kernel.backlogWaitTimeMs.value;
  if (bwt > MAX_TEST_BACKLOG_WAIT_MS) {
    kwhy.push(`backlog_wait_time ${formatDuration(bwt)} -> ${formatDuration(MAX_TEST_BACKLOG_WAIT_MS)}: this host keeps caller waits short (a shared machine); a waiting caller still shows the throttle`);
    bwt = MAX_TEST_BACKLOG_WAIT_MS;
  }
  let rl = d.kernel.rateLimit.value;
  if (rl > 0 && rateFactor < 1) {
    kwhy.push(`rate_limit ${rl} -> ${Math.max(1, Math.round(rl * rateFactor))}: scaled with the rate`);
    rl = Math.max(1, Math.round(rl * rateFactor));
  }
  for (const w of kwhy) statements.push(`kernel: ${w}`);
  return {
    rate, memory,
    time: { fieldSpanSec: span, naturalRunSec: natural, runDurationMs: runMs, factor: timeFactor, why: timeWhy },
    drain, kernel: { backlogWaitTimeMs: bwt, rateLimit: rl, why: kwhy }, statements,
  };
}
