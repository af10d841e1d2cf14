// How far a figure may move in its bad direction before a baseline check calls it a regression.
// Each figure has a fixed bad direction (RSS up, events/s down, losses up), so a tolerance is a
// size only: "10%" (relative to the baseline), an absolute amount in the figure's unit ("8MiB",
// "500ms", 100), or "off". A leading + or - is accepted and ignored.
//
// Sources, later wins: the defaults below; the scenario's `expect.tolerance` mapping (from the
// run's scenario.yaml); `--tolerance key=value` on the command line.
import { parseDuration, parseSize } from '../scenario/units.ts';
import type { CompareFigures } from '../compare/compare-math.ts';

export type Tolerance = { kind: 'relative'; fraction: number } | { kind: 'absolute'; amount: number } | { kind: 'off' };

export interface ToleranceKey {
  key: string;
  figure: keyof CompareFigures;
  /** 1: higher is worse; -1: lower is worse */
  worse: 1 | -1;
  title: string;
  /** how an absolute amount is written */
  unit: 'size' | 'duration' | 'count' | 'rate';
}

export const TOLERANCE_KEYS: ToleranceKey[] = [
  { key: 'peak_rss', figure: 'peakRssBytes', worse: 1, title: 'peak RSS', unit: 'size' },
  { key: 'events_per_sec', figure: 'eventsPerSec', worse: -1, title: 'events/s', unit: 'rate' },
  { key: 'kernel_lost', figure: 'kernelLost', worse: 1, title: 'kernel lost', unit: 'count' },
  { key: 'silent_loss', figure: 'silentLoss', worse: 1, title: 'silent loss', unit: 'count' },
  { key: 'backlog_wait', figure: 'backlogWaitMs', worse: 1, title: 'backlog wait', unit: 'duration' },
  { key: 'oom_kills', figure: 'oomKills', worse: 1, title: 'OOM kills', unit: 'count' },
];

/** Peak RSS may grow 10% and events/s fall 10%; silent loss and OOM kills may not grow at all;
 *  kernel lost and backlog wait swing too much between runs to gate on by default. */
export const DEFAULT_TOLERANCES: Record<string, Tolerance> = {
  peak_rss: { kind: 'relative', fraction: 0.1 },
  events_per_sec: { kind: 'relative', fraction: 0.1 },
  kernel_lost: { kind: 'off' },
  silent_loss: { kind: 'absolute', amount: 0 },
  backlog_wait: { kind: 'off' },
  oom_kills: { kind: 'absolute', amount: 0 },
};

export class ToleranceError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'ToleranceError';
  }
}

const KEY_LIST = TOLERANCE_KEYS.map((k) => k.key).join(', ');

export function parseTolerance(key: string, value: unknown, where: string): Tolerance {
  const def = TOLERANCE_KEYS.find((k) => k.key === key);
  if (!def) throw new ToleranceError(`${where}: unknown tolerance "${key}"; known: ${KEY_LIST}`);
  const help = `a percentage ("10%"), ${def.unit === 'size' ? 'a size ("8MiB")' : def.unit === 'duration' ? 'a duration ("500ms")' : 'a number'} or "off"`;
  if (typeof value === 'number') {
    if (def.unit === 'size' || def.unit === 'duration') throw new ToleranceError(`${where}: ${value} has no unit; write ${help}`);
    if (!(value >= 0)) throw new ToleranceError(`${where}: ${value} must be >= 0; write ${help}`);
    return { kind: 'absolute', amount: value };
  }
  if (typeof value !== 'string') throw new ToleranceError(`${where}: expected ${help}, got ${JSON.stringify(value)}`);
  const text = value.trim().replace(/^[+-]\s*/, '');
  if (text === 'off') return { kind: 'off' };
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (pct) return { kind: 'relative', fraction: Number(pct[1]) / 100 };
  try {
    if (def.unit === 'size') return { kind: 'absolute', amount: parseSize(text) };
    if (def.unit === 'duration') return { kind: 'absolute', amount: parseDuration(text) };
  } catch (err) {
    throw new ToleranceError(`${where}: ${(err as Error).message}; or write ${help}`);
  }
  if (/^\d+(\.\d+)?$/.test(text)) return { kind: 'absolute', amount: Number(text) };
  throw new ToleranceError(`${where}: "${value}" is not ${help}`);
}

/** `expect.tolerance` of a scenario (as parsed YAML), if it has one. */
export function tolerancesFromScenario(scenario: Record<string, unknown> | null, where = 'scenario.yaml'): Record<string, Tolerance> {
  const t = (scenario?.expect as { tolerance?: unknown } | undefined)?.tolerance;
  if (t === undefined || t === null) return {};
  if (typeof t !== 'object' || Array.isArray(t)) throw new ToleranceError(`${where}: expect.tolerance must be a mapping of ${KEY_LIST} to tolerances`);
  const out: Record<string, Tolerance> = {};
  for (const [k, v] of Object.entries(t)) out[k] = parseTolerance(k, v, `${where}: expect.tolerance.${k}`);
  return out;
}

/** `--tolerance peak_rss=15%` (repeatable; commas separate several). */
export function tolerancesFromFlags(flags: string[]): Record<string, Tolerance> {
  const out: Record<string, Tolerance> = {};
  for (const part of flags.flatMap((f) => f.split(',')).map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ToleranceError(`--tolerance ${part}: write KEY=VALUE, e.g. peak_rss=15% (keys: ${KEY_LIST})`);
    const key = part.slice(0, eq).trim().replace(/-/g, '_');
    out[key] = parseTolerance(key, part.slice(eq + 1), `--tolerance ${part}`);
  }
  return out;
}

export function describeTolerance(t: Tolerance, def: ToleranceKey): string {
  const dir = def.worse === 1 ? '+' : '-';
  if (t.kind === 'off') return 'off';
  if (t.kind === 'relative') return `${dir}${Number((t.fraction * 100).toFixed(2))}%`;
  if (def.unit === 'size') return `${dir}${(t.amount / 1048576).toFixed(1)} MiB`;
  if (def.unit === 'duration') return `${dir}${t.amount} ms`;
  return `${dir}${t.amount}`;
}

/** The worst value still allowed, or null when the figure is not checked. */
export function allowedLimit(base: number, t: Tolerance, worse: 1 | -1): number | null {
  if (t.kind === 'off') return null;
  const slack = t.kind === 'relative' ? Math.abs(base) * t.fraction : t.amount;
  return base + worse * slack;
}
