// The verdict: each `expect` limit of the scenario becomes one named assertion with the actual
// figure beside the limit; the run passes when every one holds.
import { eventsMissing, namedLoss, type EventAccounting } from './accounting.ts';
import type { SlopeEstimate } from './rss-slope.ts';

export interface Expectations {
  /** bytes, or 'hwm': idle RSS + the daemon's queue_hwm_bytes + 16 MiB */
  peakRssMax?: number | 'hwm';
  /** bytes per second after warm-up, judged on the lower confidence bound */
  rssSlopeMax?: number;
  oomKillsMax?: number;
  silentLossMax?: number;
  /** all loss, counted or not: generated events not in the log */
  lossMax?: number;
  /** logged events with records missing */
  incompleteMax?: number;
  /** logged events of the run's auid no load accounts for */
  unexpectedMax?: number;
  kernelLostMax?: number;
  /** logged events per second over the load window */
  throughputMin?: number;
  /** ms of backlog_wait_time_actual added during the run */
  backlogWaitMaxMs?: number;
}

export interface RunFigures {
  /** the peak judged: RSS, or RSS + unread bytes in its audit socket when that is higher */
  peakRssBytes: number;
  /** peak unread bytes in the daemon's audit socket, for the detail */
  peakSocketUnreadBytes?: number;
  idleRssBytes: number;
  /** the daemon's promised memory above idle, null when it has none (unbounded, auditd) */
  queueBoundBytes: number | null;
  /** its terms (name, bytes), for the detail */
  queueBoundParts?: Array<{ name: string; bytes: number }>;
  slope: SlopeEstimate | null;
  oomKills: number;
  kernelLost: number;
  throughputEventsPerSec: number;
  backlogWaitMs: number;
  events: EventAccounting;
  /** of the incomplete events, those whose missing records the kernel printed (it cut them) */
  incompleteByKernel?: number;
  /** null: ran to the end; otherwise how it ended early */
  daemonDied: string | null;
}

export interface Assertion {
  name: string;
  ok: boolean;
  actual: number | string;
  limit: number | string;
  /** one sentence for a failing assertion */
  detail?: string;
}

export const HWM_SLACK_BYTES = 16 * 1024 * 1024;

export function evaluate(expect: Expectations, f: RunFigures, expectDaemonSurvives = true): Assertion[] {
  const out: Assertion[] = [];
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  if (expect.peakRssMax !== undefined) {
    let limit: number | null;
    let how: string;
    if (expect.peakRssMax === 'hwm') {
      // A daemon with no queue bound has promised nothing: its RSS is held to the bound a
      // default-bounded tsauditd would keep, so unbounded growth fails the same limit.
      const bound = f.queueBoundBytes ?? 16 * 1024 * 1024;
      limit = f.idleRssBytes + bound + HWM_SLACK_BYTES;
      const terms = f.queueBoundParts?.length ? f.queueBoundParts.map((p) => `${p.name} ${mib(p.bytes)}`).join(' + ')
        : `queue bound ${mib(bound)}${f.queueBoundBytes === null ? ' (default; daemon declares none)' : ''}`;
      how = `idle ${mib(f.idleRssBytes)} + ${terms} + ${mib(HWM_SLACK_BYTES)}`;
    } else {
      limit = expect.peakRssMax;
      how = 'scenario limit';
    }
    out.push({ name: 'peak RSS under its bound', ok: f.peakRssBytes <= limit, actual: f.peakRssBytes, limit,
      detail: `peak ${mib(f.peakRssBytes)}${f.peakSocketUnreadBytes ? ` (RSS + unread socket bytes; socket peak ${mib(f.peakSocketUnreadBytes)})` : ''} vs ${mib(limit)} (${how})` });
  }
  if (expect.rssSlopeMax !== undefined) {
    const s = f.slope;
    out.push({ name: 'RSS slope after warm-up (leak check)', ok: !s || s.lowerBound <= expect.rssSlopeMax,
      actual: s ? Math.round(s.slope) : 'n/a', limit: expect.rssSlopeMax,
      detail: s ? `${Math.round(s.slope)} B/s ± ${Math.round(s.stderr)} over ${s.samples} samples; fails only when the lower bound ${Math.round(s.lowerBound)} B/s exceeds the limit` : 'too few samples' });
  }
  if (expect.oomKillsMax !== undefined) {
    out.push({ name: 'OOM kills', ok: f.oomKills <= expect.oomKillsMax, actual: f.oomKills, limit: expect.oomKillsMax });
  }
  const e = f.events;
  if (expect.silentLossMax !== undefined) {
    const l = e.lost;
    out.push({ name: 'no silent loss', ok: e.silentLoss <= expect.silentLossMax, actual: e.silentLoss, limit: expect.silentLossMax,
      detail: `generated ${e.generated}, logged ${e.logged} (${e.unexpected} unexpected), kernel dropped ${l.kernelDropped} (by serial), ` +
        `daemon dropped ${l.daemonDropped ?? 'n/a'}, not written ${l.daemonNotWritten ?? 'n/a'}, ` +
        `bounds: kernel lost <= ${l.kernelCounted} records, unattributed <= ${l.kernelDroppedUnattributed} records` +
        (e.silentLossBound !== undefined ? `; silent loss between ${e.silentLoss} and ${e.silentLossBound}` : '') });
  }
  if (expect.lossMax !== undefined) {
    const missing = eventsMissing(e);
    out.push({ name: 'events lost (counted or not)', ok: missing <= expect.lossMax, actual: missing, limit: expect.lossMax,
      detail: `${missing} of ${e.generated} generated event(s) not in the log; ${namedLoss(e)} named by serial or per-event count` });
  }
  if (expect.incompleteMax !== undefined) {
    // an event the kernel cut (its missing records are in the kernel log) is the kernel's loss, named
    const byKernel = f.incompleteByKernel ?? 0;
    // records the kernel counted lost (or could not print) that silent loss did not already spend
    // may each have been one missing record of an event: a bound, as for missing events
    const boundUsed = (e.silentLossBound ?? e.silentLoss) - e.silentLoss;
    const boundLeft = Math.max(0, e.lost.kernelCounted + e.lost.kernelDroppedUnattributed - boundUsed);
    const judged = Math.max(0, e.incomplete - byKernel - boundLeft);
    out.push({ name: 'incomplete events', ok: judged <= expect.incompleteMax, actual: judged, limit: expect.incompleteMax,
      detail: `${e.incomplete} logged event(s) with records missing: ${byKernel} cut by the kernel (the missing records are in its log), ` +
        `up to ${Math.min(boundLeft, e.incomplete - byKernel)} explained by records the kernel counted lost` });
  }
  if (expect.unexpectedMax !== undefined) {
    out.push({ name: 'unexpected events', ok: e.unexpected <= expect.unexpectedMax, actual: e.unexpected, limit: expect.unexpectedMax });
  }
  out.push({ name: 'no duplicate events', ok: f.events.duplicates === 0, actual: f.events.duplicates, limit: 0 });
  if (expect.kernelLostMax !== undefined) {
    out.push({ name: 'kernel lost records', ok: f.kernelLost <= expect.kernelLostMax, actual: f.kernelLost, limit: expect.kernelLostMax });
  }
  if (expect.throughputMin !== undefined) {
    out.push({ name: 'throughput (logged events/s)', ok: f.throughputEventsPerSec >= expect.throughputMin,
      actual: Math.round(f.throughputEventsPerSec), limit: expect.throughputMin });
  }
  if (expect.backlogWaitMaxMs !== undefined) {
    out.push({ name: 'backlog wait of audited callers (ms)', ok: f.backlogWaitMs <= expect.backlogWaitMaxMs,
      actual: Math.round(f.backlogWaitMs), limit: expect.backlogWaitMaxMs });
  }
  if (expectDaemonSurvives) {
    out.push({ name: 'daemon ran to the end', ok: f.daemonDied === null, actual: f.daemonDied ?? 'yes', limit: 'yes' });
  }
  return out;
}

/** One TAP test point: an assertion (actual and limit go in its YAML block), or a run of a
 *  suite with its own TAP nested as a subtest. */
export interface TapPoint {
  name: string;
  ok: boolean;
  yaml?: Record<string, unknown>;
  /** a nested TAP document (its version line is dropped), indented 4 spaces */
  subtest?: string;
  /** a TAP directive's text after `#`, e.g. "did not produce a summary" */
  comment?: string;
}

/** TAP 14 text: the one TAP writer (a run's results.tap, a CI suite's runs as subtests). */
export function tapDocument(title: string, points: TapPoint[]): string {
  const lines = ['TAP version 14', `# ${title}`, `1..${points.length}`];
  points.forEach((p, i) => {
    if (p.subtest !== undefined) {
      const inner = p.subtest.trim().split('\n').filter((l) => !l.startsWith('TAP version'));
      lines.push(`# Subtest: ${p.name}`, ...inner.map((l) => `    ${l}`));
    }
    lines.push(`${p.ok ? 'ok' : 'not ok'} ${i + 1} - ${p.name}${p.comment ? ` # ${p.comment}` : ''}`);
    if (p.yaml) {
      lines.push('  ---', ...Object.entries(p.yaml).filter(([, v]) => v !== undefined).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`), '  ...');
    }
  });
  const failed = points.filter((p) => !p.ok).length;
  lines.push(`# pass ${points.length - failed}`, `# fail ${failed}`);
  return `${lines.join('\n')}\n`;
}

/** A run's results.tap: one test point per assertion, with actual and limit in the YAML block. */
export function toTap(title: string, assertions: Assertion[]): string {
  return tapDocument(title, assertions.map((a) => ({
    name: a.name, ok: a.ok, yaml: { actual: a.actual, limit: a.limit, ...(a.detail ? { detail: a.detail } : {}) },
  })));
}
