// The derivation as a person reads it: each figure, its value, and where it came from
// ("default: ..." when the bundle did not have it); then what was ignored and why.
import type { Derived } from './derive.ts';
import type { Figure } from './evidence.ts';
import type { Scale } from './scale.ts';

const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;

function fig<T>(label: string, f: Figure<T>, show: (v: T) => string = (v) => String(v)): string {
  const from = f.isDefault ? `default: ${f.note}` : `${f.source}${f.note ? `; ${f.note}` : ''}`;
  return `  ${label.padEnd(22)} ${show(f.value)}  [${from}]`;
}

export function formatBundleReport(d: Pick<Derived, 'bundle'>): string[] {
  const out = ['Bundle', ...d.bundle.used.map((u) => `  used     ${u.file} (${u.kind}): ${u.what}`)];
  for (const i of d.bundle.ignored) out.push(`  ignored  ${i.where}: ${i.why}${i.text ? `\n             | ${i.text}` : ''}`);
  for (const c of d.bundle.contradictions) out.push(`  conflict ${c.figure}: used ${c.used.value} (${c.used.source}), ignored ${c.ignored.value} (${c.ignored.source}): ${c.why}`);
  return out;
}

export function formatDerived(d: Derived, s: Scale | null): string {
  const out = formatBundleReport(d);
  out.push('Kernel settings',
    fig('backlog_limit', d.kernel.backlogLimit),
    fig('backlog_wait_time', d.kernel.backlogWaitTimeMs, (v) => `${v} ms`),
    fig('rate_limit', d.kernel.rateLimit),
    fig('failure', d.kernel.failure),
    fig('lost (at collection)', d.kernel.lostAtCollection, (v) => (v === null ? 'unknown' : String(v))));
  out.push(`Rules (${d.rules.source}), rescoped to the run's auid`);
  for (const r of d.rules.rules) out.push(`  ${r.rule}  [${r.where}; ${r.changes.join('; ')}]`);
  for (const a of d.rules.added) out.push(`  ${a.rule}  [added: ${a.why}]`);
  out.push('Load profile',
    fig('mean events/s', d.load.meanEventsPerSec, (v) => v.toFixed(0)),
    fig('median events/s', d.load.medianEventsPerSec, (v) => v.toFixed(0)),
    fig('peak events/s', d.load.peakEventsPerSec, (v) => v.toFixed(0)),
    fig('span', d.load.spanSec, (v) => `${v.toFixed(0)} s`),
    fig('records/event', d.load.recordsPerEvent, (v) => v.toFixed(2)),
    fig('bytes/event', d.load.eventBytes, (v) => v.toFixed(0)),
    fig('record mix', d.load.recordMix, (v) => Object.entries(v).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'),
    fig('bursts', d.load.bursts, (v) => (v.length ? v.map((b) => `${b.lengthSec} s at ${b.meanEventsPerSec.toFixed(0)}/s from t+${b.startSec} s`).join('; ') : 'none')));
  for (const l of d.load.loads) {
    out.push(`  -> ${l.generator.padEnd(13)} ${(l.share * 100).toFixed(1)}% (${l.eventsPerSec.toFixed(0)} events/s): ${l.because}${l.userSizes ? `; sizes ${l.userSizes.map((z) => `${z.size} B x${z.weight}`).join(', ')}; types ${l.userTypes?.join(', ')}` : ''}`);
  }
  out.push('Daemon configuration',
    fig('flush', d.daemon.flush), fig('freq', d.daemon.freq), fig('q_depth', d.daemon.qDepth), fig('overflow_action', d.daemon.overflowAction),
    fig('disk_full_action', d.daemon.diskFullAction), fig('disk_error_action', d.daemon.diskErrorAction),
    fig('dispatcher', d.daemon.dispatcher, (v) => v ?? 'none'));
  if (d.daemon.notApplied.length) out.push(`  not applied (file names, mail, network, rotation: no bearing on the symptom): ${d.daemon.notApplied.join(', ')}`);
  out.push('Memory',
    fig('MemTotal', d.memory.totalBytes, mib),
    fig('available', d.memory.availableBytes, mib),
    fig('daemon RSS at OOM', d.memory.daemonRssAtOomBytes, (v) => (v === null ? 'unknown' : mib(v))));
  out.push('Symptom',
    fig('kind', d.symptom.kinds, (v) => v.join(' + ')),
    fig('drain at peak', d.symptom.drainFraction, (v) => `${(v * 100).toFixed(0)}% of the offered load`));
  if (d.symptom.oomKills.length) out.push(`  OOM victims: ${d.symptom.oomKills.map((k) => `${k.name}[${k.pid}] (${k.where})`).join(', ')}`);
  out.push('Drain (what held the field daemon back, from the evidence)',
    fig('bottleneck', d.drain.bottleneck),
    fig('offered peak', d.drain.offeredPeakEventsPerSec, (v) => `${v.toFixed(0)} events/s`),
    fig('drain', d.drain.drainEventsPerSec, (v) => `${v.toFixed(0)} events/s`),
    fig('write latency', d.drain.writeLatencyMs, (v) => (v === null ? 'none' : `${v} ms per write`)),
    fig('disk write rate', d.drain.diskBytesPerSec, (v) => (v === null ? 'none' : `${(v / 1024).toFixed(0)} KiB/s`)),
    fig('consumer rate', d.drain.consumerBytesPerSec, (v) => (v === null ? 'none' : `${(v / 1024).toFixed(0)} KiB/s`)));
  for (const w of d.drain.warnings) out.push(`  warning: ${w}`);
  const nf = d.bundle.noteFigures;
  const rows: Array<[string, Array<{ where: string; text: string; read: string }>]> = [
    ['offered rate', nf.offeredEventsPerSec], ['drain rate', nf.drainEventsPerSec], ['write latency', nf.writeLatencyMs],
    ['disk rate', nf.diskBytesPerSec], ['consumer rate', nf.consumerBytesPerSec], ['daemon RSS', nf.daemonRssBytes],
    ['host memory', nf.hostMemoryBytes], ['killed', nf.killed], ['plugin queue full', nf.pluginQueueFull],
    ['memory limit hit', nf.memoryLimitHit], ['slow disk (words)', nf.slowDiskWords], ['slow consumer', nf.slowConsumerWords],
  ];
  if (rows.some(([, v]) => v.length)) {
    out.push('Figures in the free text (read with their units; each line is the evidence)');
    for (const [label, v] of rows) {
      for (const f of v.slice(0, 4)) out.push(`  ${label.padEnd(22)} ${f.read}  [${f.where}: ${f.text}]`);
      if (v.length > 4) out.push(`  ${label.padEnd(22)} ... ${v.length - 4} more`);
    }
  }
  if (d.bundle.notes.length) out.push('Notes (as sent)', ...d.bundle.notes.slice(0, 12).map((n) => `  | ${n}`));
  if (s) out.push('Scaled to this machine', ...s.statements.map((l) => `  ${l}`));
  return out.join('\n');
}
