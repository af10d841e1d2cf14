// Human units in scenario files: durations (`500ms`, `10s`, `2m`, `1h30m`) and sizes
// (`64KiB`, `256MiB`, `1.5MB`). A bare number is refused for both: "10" could be seconds or
// milliseconds, "256" bytes or MiB, and a scenario that silently means the other one wastes a run.

import { shorten } from '../input/untrusted.ts';

export class UnitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnitError';
  }
}

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const DURATION_ORDER = ['d', 'h', 'm', 's', 'ms'];
const DURATION_HELP = 'a duration: a number with a unit ms, s, m, h or d, e.g. 500ms, 10s, 2m, 1h30m';

function show(value: unknown): string {
  return typeof value === 'string' ? shorten(value) : String(value);
}

/** YAML reads `.inf`, `-.inf` and `.nan` as numbers: name them rather than suggest "Infinitys". */
function notFinite(value: number, help: string): UnitError {
  return new UnitError(`${value} (YAML's ${Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf'}) is not ${help}`);
}

/** Parse a duration into whole milliseconds. Components go from largest to smallest unit. */
export function parseDuration(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw notFinite(value, DURATION_HELP);
    throw new UnitError(`${value} has no unit; write ${value}s or ${value}ms (${DURATION_HELP})`);
  }
  if (typeof value !== 'string') throw new UnitError(`expected ${DURATION_HELP}; got ${show(value)}`);
  const text = value.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let last = -1;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const order = DURATION_ORDER.indexOf(m[2]);
    if (order <= last) {
      throw new UnitError(`${show(value)}: units must go from largest to smallest, each once (e.g. 1h30m); ${DURATION_HELP}`);
    }
    last = order;
    total += Number(m[1]) * DURATION_UNITS_MS[m[2]];
    matched = re.lastIndex;
  }
  if (text === '' || matched !== text.length) {
    if (/^\d+(\.\d+)?$/.test(text)) {
      throw new UnitError(`${show(value)} has no unit; write ${shorten(text).slice(1, -1)}s or ms (${DURATION_HELP})`);
    }
    throw new UnitError(`${show(value)} is not ${DURATION_HELP}`);
  }
  if (!Number.isSafeInteger(Math.round(total))) {
    throw new UnitError(`${show(value)} is too long: durations end at ${Number.MAX_SAFE_INTEGER} ms`);
  }
  if (!Number.isInteger(total)) {
    throw new UnitError(`${show(value)} is not a whole number of milliseconds`);
  }
  return total;
}

/** Milliseconds back to the shortest exact text, e.g. 5400000 -> "1h30m". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of DURATION_ORDER) {
    const size = DURATION_UNITS_MS[unit];
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  kB: 1000,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  TB: 1000 ** 4,
};
const SIZE_HELP = 'a size: a number with a unit B, KiB, MiB, GiB, TiB (binary) or kB, MB, GB, TB (decimal), e.g. 64KiB, 256MiB, 1.5MB';

/** Parse a size into whole bytes. */
export function parseSize(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw notFinite(value, SIZE_HELP);
    throw new UnitError(`${value} has no unit; write ${value}B, ${value}KiB or ${value}MiB (${SIZE_HELP})`);
  }
  if (typeof value !== 'string') throw new UnitError(`expected ${SIZE_HELP}; got ${show(value)}`);
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]+)$/.exec(value.trim());
  if (!m) {
    if (/^\d+(\.\d+)?$/.test(value.trim())) {
      throw new UnitError(`${show(value)} has no unit; write it with B or MiB (${SIZE_HELP})`);
    }
    throw new UnitError(`${show(value)} is not ${SIZE_HELP}`);
  }
  const unit = SIZE_UNITS[m[2]];
  if (unit === undefined) {
    const hint = /^[kmgt]i?b?$/i.test(m[2])
      ? `; "${m[2]}" is ambiguous: write ${m[1].slice(0, 20)}${m[2][0].toUpperCase()}iB (binary) or ${m[1].slice(0, 20)}${m[2][0].toUpperCase()}B (decimal)`
      : '';
    throw new UnitError(`${show(value)}: unknown unit ${shorten(m[2], 16)}${hint}; expected ${SIZE_HELP}`);
  }
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(Math.round(bytes))) throw new UnitError(`${show(value)} is too large: sizes end at ${Number.MAX_SAFE_INTEGER} bytes`);
  if (!Number.isInteger(bytes)) throw new UnitError(`${show(value)} is not a whole number of bytes`);
  return bytes;
}

/** Bytes back to text with a binary unit, exact when possible ("256MiB"), else 3 significant digits. */
export function formatSize(bytes: number): string {
  for (const unit of ['TiB', 'GiB', 'MiB', 'KiB']) {
    const size = SIZE_UNITS[unit];
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  for (const unit of ['TiB', 'GiB', 'MiB', 'KiB']) {
    const size = SIZE_UNITS[unit];
    if (bytes >= size) return `${Number((bytes / size).toPrecision(3))}${unit}`;
  }
  return `${bytes}B`;
}

const PER_SECOND_HELP = 'bytes per second: a number (bytes/s) or a size per second, e.g. 64KiB/s';

/** A byte rate: a plain number is bytes/s (the unit is in the key's name), or "64KiB/s". */
export function parseByteRate(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw notFinite(value, PER_SECOND_HELP);
    if (value < 0) throw new UnitError(`${value} is not ${PER_SECOND_HELP}`);
    return value;
  }
  if (typeof value !== 'string') throw new UnitError(`expected ${PER_SECOND_HELP}; got ${show(value)}`);
  const m = /^(.+)\/s$/.exec(value.trim());
  if (!m) throw new UnitError(`${show(value)} is not ${PER_SECOND_HELP} (the "/s" is required)`);
  return parseSize(m[1]);
}

/** What a duration, a size and a byte rate look like, for the scenario file's JSON Schema
 *  (editor completion and checks); the parsers above stay the authority. */
const NUM = String.raw`\d+(\.\d+)?`;
export const DURATION_JSON_SCHEMA = {
  type: 'string', pattern: String.raw`^\s*(${NUM}d)?(${NUM}h)?(${NUM}m)?(${NUM}s)?(${NUM}ms)?\s*$`,
  description: DURATION_HELP, examples: ['500ms', '10s', '2m', '1h30m'],
};
const SIZE_PATTERN = String.raw`${NUM}\s*(B|KiB|MiB|GiB|TiB|kB|KB|MB|GB|TB)`;
export const SIZE_JSON_SCHEMA = {
  type: 'string', pattern: String.raw`^\s*${SIZE_PATTERN}\s*$`, description: SIZE_HELP, examples: ['64KiB', '256MiB'],
};
export const BYTE_RATE_JSON_SCHEMA = {
  anyOf: [{ type: 'number', minimum: 0 }, { type: 'string', pattern: String.raw`^\s*${SIZE_PATTERN}\s*/s$` }],
  description: PER_SECOND_HELP, examples: ['2MiB/s', 1048576],
};
