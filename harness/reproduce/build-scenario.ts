// Derived figures + scale -> a scenario YAML, its rules file and the paced plugin's config, all
// written into the reproduction's directory so they can be edited and re-run
// (`auditstorm run DIR/scenario.yaml --policy block`). The YAML is checked with validateScenario.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { validateScenario } from '../scenario/load-scenario.ts';
import type { Scenario } from '../scenario/schema.ts';
import { formatDuration } from '../scenario/units.ts';
import { AUDITED_PER_OP, type Derived, type LoadMapping } from './derive.ts';
import type { Scale } from './scale.ts';
import { packageFile } from '../../lib/paths.ts';

const PLUGIN = packageFile('harness/reproduce/paced-plugin.mjs');
/** a load process's audited operations per second before we add another process */
const OPS_PER_PROCESS = 4000;
/** a fork+exec costs far more than an openat: about 200 per second per process on a small VM */
const OPS_PER_PROCESS_BY_GEN: Partial<Record<LoadMapping['generator'], number>> = { 'fork-exec': 200, tcp: 2000, http: 2000 };

export interface BuiltScenario {
  scenarioPath: string;
  rulesPath: string;
  pluginDir: string;
  yaml: string;
  /** validated with the default policy (unbounded) */
  scenario: Scenario;
  /** what the scenario could not express of the derivation */
  warnings: string[];
}

/** ms (maybe fractional) -> a duration the scenario accepts; below 1 ms rounds up to 1ms */
function formatLatency(ms: number): string {
  return formatDuration(Math.max(1, Math.round(ms)));
}

const TSAUDITD_FLUSH = new Set(['none', 'incremental', 'incremental_async', 'data', 'sync']);
const DISK = new Set(['ignore', 'syslog', 'rotate', 'suspend', 'halt']);

function loadEntry(l: LoadMapping, d: Derived, s: Scale): Record<string, unknown> {
  const perOp = AUDITED_PER_OP[l.generator];
  const meanOps = (s.rate.runMean * l.share) / perOp;
  const peakOps = (s.rate.runPeak * l.share) / perOp;
  const processes = Math.max(1, Math.min(4, Math.ceil(peakOps / (OPS_PER_PROCESS_BY_GEN[l.generator] ?? OPS_PER_PROCESS))));
  const entry: Record<string, unknown> = { name: `${l.generator}-field`, generator: l.generator, processes };
  const bursts = d.load.bursts.value;
  const r = (v: number) => Math.max(0.1, Math.round((v / processes) * 10) / 10);
  if (bursts.length) {
    const base = (s.rate.runMean * l.share / perOp) * (d.load.medianEventsPerSec.value / Math.max(1, d.load.meanEventsPerSec.value));
    const gaps = bursts.slice(1).map((b, i) => b.startSec - bursts[i].startSec);
    const everyF = gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : s.time.fieldSpanSec;
    const forF = bursts.reduce((a, b) => a + b.lengthSec, 0) / bursts.length;
    // Bursts keep the field's length and gap: the volume one burst offers beyond the drain is what
    // overflows a queue or a backlog, so compressing it would hide the symptom. The first burst
    // is moved to t+2 s so a short run sees it.
    const runMs = s.time.runDurationMs;
    const forMs = Math.max(1000, Math.min(runMs - 3000, Math.round(forF * 1000)));
    const every = Math.max(forMs + 1000, Math.round(everyF * 1000));
    entry.rate = r(Math.max(0.1, base));
    entry.shape = { kind: 'burst', every: formatDuration(every), for: formatDuration(forMs), rate: r(peakOps), first: formatDuration(2000) };
  } else {
    entry.rate = r(meanOps);
  }
  if (l.generator === 'user-message') {
    entry.options = { types: l.userTypes ?? [1005], sizes: (l.userSizes ?? [{ size: 200, weight: 1 }]).map((z) => ({ size: `${z.size}B`, weight: z.weight })) };
  }
  return entry;
}

export function buildScenario(d: Derived, s: Scale, outDir: string, name: string): BuiltScenario {
  mkdirSync(outDir, { recursive: true });
  const rulesPath = join(outDir, 'derived.rules');
  const ruleLines = [
    `# Derived by auditstorm reproduce from ${d.bundle.dir}`,
    '# Every rule is scoped to the run\'s auid (@AUID@); what changed from the field\'s rule is noted above it.',
    ...d.rules.rules.flatMap((r) => [`# ${r.where}: ${r.field}`, ...r.changes.map((c) => `#   ${c}`), r.rule]),
    ...d.rules.added.flatMap((a) => [`# added: ${a.why}`, a.rule]),
  ];
  if (!d.rules.rules.length && !d.rules.added.length) ruleLines.push('-a always,exit -F arch=b64 -S openat -F auid=@AUID@ -k reproduce');
  const fieldRoot = resolve(outDir, 'field-paths');
  const text = ruleLines.join('\n').replace(/@FIELDROOT@(\S+)/g, (_w, p: string) => {
    const inside = resolve(fieldRoot, `.${p.startsWith('/') ? '' : '/'}${p}`);
    // a field path may not climb out: everything reproduce creates stays under its own folder
    if (inside !== fieldRoot && !inside.startsWith(`${fieldRoot}/`)) throw new Error(`field path ${p.slice(0, 80)} leads outside ${fieldRoot}; refused`);
    mkdirSync(inside, { recursive: true });
    return inside;
  });
  writeFileSync(rulesPath, `${text}\n`);

  const pluginDir = join(outDir, 'plugins.d');
  mkdirSync(pluginDir, { recursive: true });
  if (s.drain.via === 'paced-plugin') {
    writeFileSync(join(pluginDir, 'paced.conf'), [
      '# the field daemon\'s slow consumer, paced (see harness/reproduce/paced-plugin.mjs)',
      'active = yes',
      'direction = out',
      `path = ${process.execPath}`,
      'type = always',
      `args = ${PLUGIN} ${s.drain.pluginRecordsPerSec} ${s.time.runDurationMs + 4000}`,
      'format = string',
      `q_depth = ${d.daemon.qDepth.value}`,
      'overflow_action = block',
      '',
    ].join('\n'));
  }
  const faults: Array<Record<string, unknown>> = [];
  if (s.drain.via === 'slow-disk' && s.drain.diskBytesPerSec !== null) {
    faults.push({
      kind: 'slow-disk', at: '0s', rate: `${s.drain.diskBytesPerSec}B/s`,
      // below a millisecond the rate alone sets the pace
      ...(s.drain.writeLatencyMs !== null && s.drain.writeLatencyMs >= 1 ? { latency: formatLatency(s.drain.writeLatencyMs) } : {}),
    });
  }

  const flush = TSAUDITD_FLUSH.has(d.daemon.flush.value) ? d.daemon.flush.value : 'incremental_async';
  const disk = (v: string) => (DISK.has(v) ? v : 'syslog');
  const memorySymptom = d.symptom.kinds.value.includes('memory');
  const doc = {
    name,
    description: `reproduction of ${basename(d.bundle.dir)}: ${d.symptom.kinds.value.join(' + ')} (derived by auditstorm reproduce)`,
    duration: formatDuration(s.time.runDurationMs),
    seed: 1,
    kernel: {
      backlog_limit: d.kernel.backlogLimit.value,
      backlog_wait_time: formatDuration(s.kernel.backlogWaitTimeMs),
      rate_limit: s.kernel.rateLimit,
      failure: d.kernel.failure.value === 0 ? 0 : 1,
    },
    rules: './derived.rules',
    daemon: {
      name: 'tsauditd',
      policy: 'unbounded',
      memory_limit: `${Math.round(s.memory.memoryLimitBytes / 1048576)}MiB`,
      // the field's "everyone else gets shot": processes the OOM killer prefers to the daemon
      bystanders: memorySymptom ? { count: 2, size: '8MiB', oom_score_adj: 1000 } : { count: 0 },
      config_for: {
        tsauditd: {
          flush, freq: d.daemon.freq.value, q_depth: d.daemon.qDepth.value,
          disk_full_action: disk(d.daemon.diskFullAction.value), disk_error_action: disk(d.daemon.diskErrorAction.value),
          plugin_dir: pluginDir,
        },
      },
    },
    loads: d.load.loads.map((l) => loadEntry(l, d, s)),
    faults,
    expect: { peak_rss_max: 'hwm', oom_kills_max: 0, silent_loss_max: 0 },
  };
  const header = [
    `# Derived by auditstorm reproduce from ${d.bundle.dir}`,
    ...s.statements.map((l) => `# ${l}`),
    '# Edit and re-run: auditstorm run THIS_FILE --policy block|drop|unbounded',
  ].join('\n');
  let yaml = `${header}\n${stringify(doc, { lineWidth: 0 })}`;
  const scenarioPath = join(outDir, 'scenario.yaml');
  writeFileSync(scenarioPath, yaml);
  let scenario: Scenario;
  const warnings: string[] = [];
  try {
    scenario = validateScenario(yaml, { path: scenarioPath });
  } catch (err) {
    // a scenario schema without the slow-disk latency key: keep the rate, say what was left out
    const fault = faults.find((f) => f.kind === 'slow-disk' && 'latency' in f);
    if (!fault || !/latency/.test((err as Error).message)) throw err;
    const lat = fault.latency;
    delete fault.latency;
    warnings.push(`slow-disk latency ${String(lat)} per write is derived but this build's slow-disk fault has no latency option: the run applies the rate only`);
    yaml = `${header}\n# warning: ${warnings[0]}\n${stringify(doc, { lineWidth: 0 })}`;
    writeFileSync(scenarioPath, yaml);
    scenario = validateScenario(yaml, { path: scenarioPath });
  }
  return { scenarioPath, rulesPath, pluginDir, yaml, scenario, warnings };
}
