// The answer a report gives before any chart: did the daemon's memory stay bounded, was anything
// lost, and by whom. One sentence and one bar, both from summary.json alone, so the same answer
// appears on report.html, per daemon on compare.html, and can be checked against the file.
//
// The bar splits the generated events: logged + lost by the kernel (counted by its `lost`
// counter) + lost by the kernel (identified by serial in the kernel's log) + lost by the daemon
// (its own counters) + silent (missing with nothing to say so). Summaries written before
// `metrics.events.lost` existed (accountedLoss, kernelPrintkDropped, metrics.daemonDropped) are
// read too.
import type { RunSummary } from '../run/run-scenario.ts';
import { int, mib } from './format.ts';
import { esc } from './page.ts';

export type SegmentKey = 'logged' | 'kernelCounted' | 'kernelIdentified' | 'daemon' | 'silent' | 'unexplained';

export interface Segment {
  key: SegmentKey;
  label: string;
  /** events in this part of the bar */
  value: number;
  color: string;
  /** how the figure was obtained (a tooltip and the legend say it) */
  how: string;
}

export interface Breakdown {
  generated: number;
  /** events in the log, of them `unexpected` beyond what the loads generated */
  logged: number;
  unexpected: number;
  /** the kernel's `lost` counter delta, in RECORDS: at most this many events (an upper bound) */
  kernelCountedRecords: number;
  /** kernel drops seen in its log but not tied to an event (records, an upper bound); null: not reported */
  kernelUnattributed: number | null;
  kernelIdentified: number;
  /** events the daemon says it dropped or did not write; null: the daemon reports nothing */
  daemon: number | null;
  silent: number;
  /** an upper bound on the silent figure when it is itself a bound */
  silentBound: number | null;
  segments: Segment[];
  /** which summary shape the figures came from */
  shape: 'lost' | 'accountedLoss';
}

export interface MemoryAnswer {
  /** null: no peak-RSS assertion, so nothing says what bounded means for this run */
  bounded: boolean | null;
  /** the peak the bound was judged on (the assertion's actual: it may include more than RSS) */
  peakBytes: number | null;
  /** the daemon's own peak RSS */
  rssPeakBytes: number | null;
  boundBytes: number | null;
  /** the peak stayed under the bound (null: no bound) */
  peakOk: boolean | null;
  oomKills: number;
}

export const SEGMENT_COLORS: Record<SegmentKey, string> = {
  logged: '#2e7d32', kernelCounted: '#f9a825', kernelIdentified: '#ef6c00', daemon: '#6a1b9a', silent: '#c62828', unexplained: '#9e9e9e',
};

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The event accounting of a run, whichever summary shape wrote it; null without figures. */
export function breakdownOf(s: RunSummary | null): Breakdown | null {
  const ev = s?.metrics?.events as unknown as Record<string, unknown> | undefined;
  if (!s || !ev) return null;
  const generated = num(ev.generated);
  const logged = num(ev.logged);
  if (generated === null || logged === null) return null;
  const lost = ev.lost as Record<string, unknown> | undefined;
  const method = (ev.method ?? {}) as Record<string, string>;
  let b: Omit<Breakdown, 'segments'>;
  if (lost && typeof lost === 'object') {
    const dd = num(lost.daemonDropped), dn = num(lost.daemonNotWritten);
    b = {
      generated, logged, unexpected: num(ev.unexpected) ?? 0,
      kernelCountedRecords: num(lost.kernelCounted) ?? 0,
      kernelUnattributed: num(lost.kernelDroppedUnattributed),
      kernelIdentified: num(lost.kernelDropped) ?? 0,
      daemon: dd === null && dn === null ? null : (dd ?? 0) + (dn ?? 0),
      silent: num(ev.silentLoss) ?? 0,
      silentBound: num(ev.silentLossBound),
      shape: 'lost',
    };
  } else {
    b = {
      generated, logged, unexpected: num(ev.unexpected) ?? 0,
      kernelCountedRecords: num(s.metrics.kernel?.lost) ?? 0,
      kernelUnattributed: null,
      kernelIdentified: num(ev.kernelPrintkDropped) ?? 0,
      daemon: num((s.metrics as { daemonDropped?: unknown }).daemonDropped),
      silent: num(ev.silentLoss) ?? 0,
      silentBound: null,
      shape: 'accountedLoss',
    };
  }
  // What the kernel's counter explains is what is left of the missing events once the exact
  // parts are taken out: never more than the counter's records (a record is at most one event).
  // the bar is of the generated events: logged events beyond them (unexpected) are not a part of it
  const loggedGenerated = Math.max(0, b.logged - b.unexpected);
  const missing = Math.max(0, b.generated - loggedGenerated);
  const exact = b.kernelIdentified + (b.daemon ?? 0) + b.silent;
  const counted = Math.max(0, Math.min(missing - exact, b.kernelCountedRecords + (b.kernelUnattributed ?? 0)));
  const how = (k: string, dflt: string) => method[k] ?? dflt;
  const segments: Segment[] = [
    { key: 'logged', label: 'logged', value: loggedGenerated, color: SEGMENT_COLORS.logged,
      how: how('logged', "distinct events (serials) with the run's auid in the daemon's log") + (b.unexpected ? `; less ${int(b.unexpected)} unexpected events beyond what the loads generated` : '') },
    { key: 'kernelCounted', label: 'lost by the kernel, counted (bound)', value: counted, color: SEGMENT_COLORS.kernelCounted,
      how: `the kernel's lost counter rose by ${int(b.kernelCountedRecords)} records` +
        (b.kernelUnattributed ? ` and its log shows ${int(b.kernelUnattributed)} dropped records it does not tie to an event` : '') +
        `: at most ${int(b.kernelCountedRecords + (b.kernelUnattributed ?? 0))} events` +
        (counted > 0 ? `, of which ${int(counted)} are what is left to explain (so up to ${int(counted)} of them could be silent)` : '') },
    { key: 'kernelIdentified', label: 'lost by the kernel, identified', value: b.kernelIdentified, color: SEGMENT_COLORS.kernelIdentified,
      how: how('kernelDropped', "events the kernel's log names by serial as dropped (kauditd printed them instead of delivering them)") },
    { key: 'daemon', label: 'lost by the daemon', value: b.daemon ?? 0, color: SEGMENT_COLORS.daemon,
      how: b.daemon === null ? 'the daemon publishes no loss counters' : how('daemonDropped', "events the daemon's own counters say it dropped or did not write") },
    { key: 'silent', label: 'silent', value: b.silent, color: SEGMENT_COLORS.silent,
      how: how('silentLoss', 'generated − logged − every counted loss: missing with nothing to say so') },
  ];
  // Figures that do not add up are shown, not hidden: the rest of the missing events is its own part.
  const rest = missing - exact - counted;
  if (rest > 0) {
    segments.push({ key: 'unexplained', label: 'missing from the figures', value: rest, color: SEGMENT_COLORS.unexplained,
      how: 'generated − logged is larger than the parts summary.json names: its figures do not add up' });
  }
  return { ...b, segments };
}

export function memoryOf(s: RunSummary | null): MemoryAnswer | null {
  if (!s?.metrics) return null;
  const a = s.assertions?.find((x) => x.name.startsWith('peak RSS'));
  const bound = a && typeof a.limit === 'number' ? a.limit : null;
  const oomKills = num(s.metrics.oomKills) ?? 0;
  const rssPeak = num(s.metrics.peakRssBytes);
  return {
    bounded: bound === null ? null : (a!.ok && oomKills === 0),
    peakBytes: a && typeof a.actual === 'number' ? a.actual : rssPeak,
    rssPeakBytes: rssPeak, boundBytes: bound, peakOk: a ? a.ok : null, oomKills,
  };
}

const loggedOf = (b: Breakdown) => b.segments.find((x) => x.key === 'logged')!.value;

const PHRASE: Record<SegmentKey, string> = {
  logged: 'logged', kernelCounted: 'counted by the kernel as records but not tied to events (an upper bound)', kernelIdentified: "named as dropped in the kernel's log",
  daemon: 'dropped by the daemon, by its own count', silent: 'silently, with nothing to count them', unexplained: 'in no figure of summary.json',
};

/** "Memory stayed bounded ...; 3,615 of 103,208 events were lost: ..." */
export function firstSentence(s: RunSummary | null): string {
  const m = memoryOf(s);
  const b = breakdownOf(s);
  if (!m || !b) return 'No summary.json: the run did not reach its verdict, so nothing can be said about memory or loss.';
  const oom = m.oomKills === 0 ? 'no OOM kill' : `${int(m.oomKills)} OOM kill${m.oomKills === 1 ? '' : 's'}`;
  const more = m.peakBytes !== null && m.rssPeakBytes !== null && m.peakBytes > m.rssPeakBytes ? ` (RSS ${mib(m.rssPeakBytes)} plus what the daemon had not read from its socket)` : '';
  const memory = m.bounded === null
    ? `Memory: peak RSS ${mib(m.rssPeakBytes)} (no bound asserted), ${oom}`
    : m.bounded
      ? `Memory stayed bounded: peak ${mib(m.peakBytes)}${more} under its bound of ${mib(m.boundBytes)}, no OOM kill`
      : m.peakOk
        ? `Memory was NOT bounded: the peak ${mib(m.peakBytes)}${more} stayed under its bound of ${mib(m.boundBytes)}, but there ${m.oomKills === 1 ? 'was' : 'were'} ${oom}`
        : `Memory was NOT bounded: peak ${mib(m.peakBytes)}${more} over its bound of ${mib(m.boundBytes)}, ${oom}`;
  const lostTotal = b.segments.filter((x) => x.key !== 'logged').reduce((a, x) => a + x.value, 0);
  let loss: string;
  if (lostTotal === 0 && loggedOf(b) >= b.generated) {
    loss = `nothing was lost: all ${int(b.generated)} generated events were logged`;
  } else {
    const by = b.segments.filter((x) => x.key !== 'logged' && x.value > 0).map((x) => `${int(x.value)} ${PHRASE[x.key]}`);
    loss = `${int(lostTotal)} of ${int(b.generated)} generated events were lost${by.length ? `: ${by.join(', ')}` : ''}`;
    if (b.silent > 0) loss += b.silentBound !== null ? `; silent loss is at most ${int(b.silentBound)}` : '';
  }
  return `${memory}; ${loss}.`;
}

/** The accounting bar: one segment per part of the generated events, widths in proportion. */
export function accountingBar(s: RunSummary | null, id = 'accounting', compact = false): string {
  const b = breakdownOf(s);
  if (!b) return '';
  const total = Math.max(1, b.generated, b.segments.reduce((a, x) => a + x.value, 0));
  const segs = b.segments.map((x) => {
    const pct = (100 * x.value) / total;
    // a non-zero part stays visible however small it is
    const width = x.value > 0 ? `max(${pct.toFixed(4)}%, 3px)` : '0';
    return `<span class="seg seg-${x.key}" data-key="${x.key}" data-value="${x.value}" style="width:${width};background:${x.color}" title="${esc(`${x.label}: ${int(x.value)} — ${x.how}`)}"></span>`;
  }).join('');
  const shown = (x: Segment) => (x.key === 'daemon' && b.daemon === null ? 'none reported' : int(x.value));
  const legend = b.segments.map((x) => `<li data-key="${x.key}"><i class="sw" style="background:${x.color}"></i>${esc(x.label)} <b>${esc(shown(x))}</b>` +
    (compact ? '' : `<span class="muted"> · ${esc(x.how)}</span>`) + '</li>').join('');
  return `<div class="accounting" id="${esc(id)}" data-generated="${b.generated}" data-shape="${b.shape}">
<div class="bar" role="img" aria-label="${esc(b.segments.map((x) => `${x.label} ${x.value}`).join(', '))}">${segs}</div>
<p class="bar-total">generated <b>${esc(int(b.generated))}</b> = ${b.segments.map((x) => esc(x.label)).join(' + ')}</p>
<ul class="bar-legend">${legend}</ul>
</div>`;
}

/** The sentence and the bar, as the top of a report (or one card of compare.html). */
export function firstScreen(s: RunSummary | null, id = 'accounting', compact = false): string {
  return `<p class="answer" id="${esc(id)}-answer">${esc(firstSentence(s))}</p>\n${accountingBar(s, id, compact)}`;
}
