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
  /** --search: the offered load times this, the drain divided by that (default 1, 1) */
  offeredFactor?: number;
  drainDivisor?: number;
}

export interface Scale {
  rate: { fieldPeakOffered: number; fieldMeanOffered: number; runPeak: number; runMean: number; factor: number; why: string };
  memory: { fieldHeadroomBytes: number; runHeadroomBytes: number; factor: number; daemonBaselineBytes: number; memoryLimitBytes: number; why: string };
  time: { fieldSpanSec: number; naturalRunSec: number; runDurationMs: number; factor: number; why: string };
  drain: {
    fraction: number; runEventsPerSec: number; recordsPerEvent: number; why: string;
    /** how the run imposes the drain: a slow disk under tsauditd's log, or a paced plugin */
    via: 'slow-disk' | 'paced-plugin';
    /** paced-plugin only */
    pluginRecordsPerSec: number;
    /** slow-disk only: bytes/s and ms per write */
    diskBytesPerSec: number | null;
    writeLatencyMs: number | null;
    /** bytes tsauditd writes per event of the run's loads (an estimate per generator) */
    runEventBytes: number;
  };
  /** the run's offered events/s (mean over the run, and at its peak) over its drain */
  overload: { meanOffered: number; peakOffered: number; drain: number; ratio: number };
  kernel: { backlogWaitTimeMs: number; rateLimit: number; why: string[] };
  /** one line per decision, for the printout */
  statements: string[];
}

/** tsauditd (Node + its reader thread) idles near 100 MiB where a C auditd takes 3 MB: that
 *  baseline is added to the cgroup limit, not scaled. */
export const DAEMON_BASELINE_BYTES = 128 * 1024 * 1024;
const MAX_TEST_BACKLOG_WAIT_MS = 2000;
/** what tsauditd writes per audited syscall event of each generator (RAW: SYSCALL, CWD, PATH(s),
 *  PROCTITLE; EXECVE for fork-exec, SOCKADDR for tcp), an estimate; user-message: its text + header */
const RUN_EVENT_BYTES: Record<string, number> = { 'open-close': 620, stat: 600, 'file-write': 640, 'fork-exec': 1100, tcp: 560, http: 560 };
/** what a queued record costs tsauditd (the record's bytes, its object, the batch): an estimate */
export const QUEUED_RECORD_BYTES = 600;
/** growth that clearly passes the runaway bound (queue bound 16 MiB + 16 MiB slack, x1.5) */
const RUNAWAY_GROWTH_BYTES = 48 * 1024 * 1024;
/** the slow-disk fault's floor (harness/scenario/schema.ts) */
const MIN_DISK_RATE = 4096;

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
  const boost = o.offeredFactor ?? 1;
  // the drain model's offered peak; its mean keeps the log's shape when the figure came from the log
  const fieldPeakOffered = d.drain.offeredPeakEventsPerSec.value * boost;
  const fieldMeanOffered = (d.drain.offeredShape === 'log'
    ? d.load.meanEventsPerSec.value + lost / Math.max(1, rpe) / Math.max(1, span)
    : d.drain.offeredPeakEventsPerSec.value) * boost;
  const rateFactor = Math.min(1, hostMax / fieldPeakOffered);
  const rate = {
    fieldPeakOffered, fieldMeanOffered, runPeak: fieldPeakOffered * rateFactor, runMean: fieldMeanOffered * rateFactor, factor: rateFactor,
    why: rateFactor < 1
      ? `the field offered up to ${Math.round(fieldPeakOffered)} events/s; this host's loads take about ${hostMax}: rate scaled by ${x(rateFactor)}`
      : `the field's peak of ${Math.round(fieldPeakOffered)} events/s (${d.drain.offeredPeakEventsPerSec.isDefault ? 'default' : d.drain.offeredPeakEventsPerSec.source}) fits this host (up to ~${hostMax}): rate not scaled`,
  };
  if (boost !== 1) rate.why += `; --search step: offered load x${boost.toFixed(2)}`;
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
  // long enough for the overload to carry the queue clearly past the bound a runaway is judged
  // by (the queue bound + 16 MiB slack over idle, about 32 MiB; 1.5x that), at the overload's rate
  const rpeRun = d.load.loads.reduce((a, l) => a + l.share * (l.generator === 'user-message' ? 1 : l.generator === 'fork-exec' || l.generator === 'file-write' ? 6 : 5), 0) || 5;
  const excessEps = Math.max(0, rate.runMean - d.drain.drainEventsPerSec.value * rateFactor / (o.drainDivisor ?? 1));
  const bursts = d.load.bursts.value;
  // bursty loads grow the queue in their bursts: one burst over the drain may be enough alone
  const burstGrowth = bursts.length && d.drain.offeredShape === 'log'
    ? Math.max(0, rate.runPeak - d.drain.drainEventsPerSec.value * rateFactor / (o.drainDivisor ?? 1)) * bursts[0].lengthSec * rpeRun * QUEUED_RECORD_BYTES : 0;
  const growthNeedMs = excessEps > 0 && burstGrowth < RUNAWAY_GROWTH_BYTES ? 2000 + (RUNAWAY_GROWTH_BYTES / (excessEps * rpeRun * QUEUED_RECORD_BYTES)) * 1000 : 0;
  const runMs = Math.round(Math.min(maxMs, Math.max(minMs, burstNeed, natural * 1000, growthNeedMs)) / 1000) * 1000;
  const timeFactor = runMs / 1000 / span;
  let timeWhy = `the field excerpt spans ${Math.round(span)} s; memory ${x(memFactor)} over rate ${x(rateFactor)} makes it ${natural.toFixed(1)} s here`;
  if (natural * 1000 < minMs && growthNeedMs <= Math.max(minMs, burstNeed)) timeWhy += `; lengthened to ${formatDuration(runMs)} (the shortest useful run): the queue has more time to grow than the field had, so a runaway shows sooner, not later`;
  else if (natural * 1000 > maxMs) timeWhy += `; cut to ${formatDuration(runMs)} (--duration): ${(natural * 1000 / runMs).toFixed(1)}x shorter, so the run shows the growth toward the limit, maybe not the kill`;
  if (growthNeedMs > Math.max(minMs, burstNeed, natural * 1000)) timeWhy += `; ${formatDuration(Math.round(growthNeedMs / 1000) * 1000)} for ${Math.round(excessEps)} events/s over the drain to grow the queue ${Math.round(RUNAWAY_GROWTH_BYTES / 1048576)} MiB (~${QUEUED_RECORD_BYTES} B per queued record, an estimate)${growthNeedMs > maxMs ? `, cut to ${formatDuration(runMs)} (--duration)` : ''}`;
  if (burstNeed) timeWhy += `; bursts keep their field length, rate and gap (their excess volume is what overflows a queue or the backlog), the first moved to t+2 s`;
  statements.push(`time: ${timeWhy}`);

  const recordsPerEvent = d.load.loads.reduce((a, l) => a + l.share * (l.generator === 'user-message' ? 1 : l.generator === 'fork-exec' || l.generator === 'file-write' ? 6 : 5), 0) || 5;
  const runEventBytes = d.load.loads.reduce((a, l) => a + l.share * (l.generator === 'user-message'
    ? 130 + (l.userSizes ?? [{ size: 200, weight: 1 }]).reduce((x, z) => x + z.size * z.weight, 0)
    : RUN_EVENT_BYTES[l.generator] ?? 620), 0) || 620;
  const divisor = o.drainDivisor ?? 1;
  const drainEps = d.drain.drainEventsPerSec.value * rateFactor / divisor;
  const fraction = drainEps / Math.max(1e-9, rate.runPeak);
  const fieldWhy = `the field daemon drained ${Math.round(d.drain.drainEventsPerSec.value)} events/s (${d.drain.drainEventsPerSec.isDefault ? `default: ${d.drain.drainEventsPerSec.note}` : d.drain.drainEventsPerSec.source}), ${(fraction * 100).toFixed(0)}% of the run's offered peak${rateFactor < 1 ? `, scaled by ${x(rateFactor)}` : ''}${divisor !== 1 ? `, divided by ${divisor.toFixed(2)} (--search step)` : ''}`;
  let drain: Scale['drain'];
  if (d.drain.bottleneck.value === 'disk') {
    const bytes = Math.max(MIN_DISK_RATE, Math.round(drainEps * runEventBytes));
    const lat = d.drain.writeLatencyMs.value;
    drain = {
      fraction, runEventsPerSec: drainEps, recordsPerEvent, via: 'slow-disk', pluginRecordsPerSec: 0, diskBytesPerSec: bytes, writeLatencyMs: lat, runEventBytes,
      why: `${fieldWhy}; the log's disk was the bottleneck (${d.drain.bottleneck.isDefault ? 'default' : d.drain.bottleneck.source}): a slow-disk fault under tsauditd's log at ${Math.round(bytes / 1024)} KiB/s (${Math.round(drainEps)} events/s x ~${Math.round(runEventBytes)} bytes per event of these loads)${lat !== null ? ` and ${lat} ms per write (${d.drain.writeLatencyMs.isDefault ? 'derived' : d.drain.writeLatencyMs.source})` : ''}`,
    };
  } else {
    const prs = Math.max(50, Math.round(drainEps * recordsPerEvent));
    drain = {
      fraction, runEventsPerSec: drainEps, recordsPerEvent, via: 'paced-plugin', pluginRecordsPerSec: prs, diskBytesPerSec: null, writeLatencyMs: null, runEventBytes,
      why: `${fieldWhy}; its consumer was the bottleneck (${d.drain.bottleneck.isDefault ? 'default' : d.drain.bottleneck.source}): a paced dispatcher plugin (overflow_action block) lets tsauditd drain ${Math.round(drainEps)} events/s (${prs} records/s at ~${recordsPerEvent.toFixed(1)} records/event)`,
    };
  }
  statements.push(`drain: ${drain.why}`);
  const overload = { meanOffered: rate.runMean, peakOffered: rate.runPeak, drain: drainEps, ratio: rate.runMean / Math.max(1e-9, drainEps) };
  statements.push(`overload: the run offers ${Math.round(rate.runMean)} events/s on average (${Math.round(rate.runPeak)} at its peak) against a drain of ${Math.round(drainEps)}: ${overload.ratio >= 1 ? `${overload.ratio.toFixed(1)}x, the queue can grow` : `${overload.ratio.toFixed(2)}x on average${rate.runPeak > drainEps ? ', above it only at the peak' : ': below the drain, nothing can run away'}`}`);
  for (const w of d.drain.warnings) statements.push(`warning: ${w}`);

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
    drain, overload, kernel: { backlogWaitTimeMs: bwt, rateLimit: rl, why: kwhy }, statements,
  };
}
