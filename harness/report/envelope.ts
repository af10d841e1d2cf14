// Time-aligned min/max/mean envelopes of many columns in bounded memory, for plotting.
// harness/metrics/downsample.ts buckets each series by sample count, so two series with different
// gaps end up with different bucket times; a chart needs one x axis for all its lines, and a
// comparison needs the same x axis across runs. Here buckets are fixed slices of time
// ([i*width, (i+1)*width) ms): when a sample falls past the last bucket, neighbouring pairs merge
// and the width doubles. An 8-hour soak at 10 Hz with capacity 2048 ends at a width of 25.6 s
// (1,125 buckets), and every spike still shows as its bucket's max.

export interface EnvelopeColumn {
  /** per bucket: null where the column had no value in that slice of time */
  min: Array<number | null>;
  max: Array<number | null>;
  mean: Array<number | null>;
  last: Array<number | null>;
}

export interface Envelope {
  /** bucket width in ms */
  widthMs: number;
  /** start of each bucket in seconds since the run started */
  x: number[];
  /** samples that went into each bucket (any column) */
  n: number[];
  columns: Record<string, EnvelopeColumn>;
}

export class EnvelopeTable<K extends string = string> {
  private width: number;
  private used = 0;
  private readonly count: Float64Array;
  private readonly stats = new Map<K, { min: Float64Array; max: Float64Array; sum: Float64Array; n: Float64Array; last: Float64Array; lastT: Float64Array }>();

  /** @param baseWidthMs the sampling period (100 ms at 10 Hz): one sample per bucket while it fits */
  constructor(readonly columns: readonly K[], readonly capacity = 2048, baseWidthMs = 100) {
    if (capacity < 2 || capacity % 2) throw new Error(`envelope capacity must be an even number >= 2, got ${capacity}`);
    if (!(baseWidthMs > 0)) throw new Error(`envelope base width must be > 0 ms, got ${baseWidthMs}`);
    this.width = baseWidthMs;
    this.count = new Float64Array(capacity);
    for (const c of columns) {
      this.stats.set(c, {
        min: new Float64Array(capacity).fill(Infinity), max: new Float64Array(capacity).fill(-Infinity),
        sum: new Float64Array(capacity), n: new Float64Array(capacity), last: new Float64Array(capacity), lastT: new Float64Array(capacity).fill(-Infinity),
      });
    }
  }

  get widthMs(): number {
    return this.width;
  }

  /** One sample: values for some or all columns (null/undefined/NaN are gaps). */
  push(tMs: number, values: Partial<Record<K, number | null | undefined>>): void {
    if (!Number.isFinite(tMs) || tMs < 0) return;
    let i = Math.floor(tMs / this.width);
    while (i >= this.capacity) {
      this.compact();
      i = Math.floor(tMs / this.width);
    }
    if (i + 1 > this.used) this.used = i + 1;
    this.count[i]++;
    for (const [k, v] of Object.entries(values) as Array<[K, number | null | undefined]>) {
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      const s = this.stats.get(k);
      if (!s) continue;
      if (v < s.min[i]) s.min[i] = v;
      if (v > s.max[i]) s.max[i] = v;
      s.sum[i] += v;
      s.n[i]++;
      if (tMs >= s.lastT[i]) { s.last[i] = v; s.lastT[i] = tMs; }
    }
  }

  /** Doubles the width until it is at least `widthMs` (to put several runs on one time grid). */
  widenTo(widthMs: number): void {
    while (this.width < widthMs) this.compact();
  }

  private compact(): void {
    const merge = (a: Float64Array, f: (x: number, y: number) => number) => {
      for (let j = 0; j < this.capacity / 2; j++) a[j] = f(a[2 * j], a[2 * j + 1]);
    };
    const reset = (a: Float64Array, v: number) => a.fill(v, this.capacity / 2);
    merge(this.count, (x, y) => x + y); reset(this.count, 0);
    for (const s of this.stats.values()) {
      const lastPairs: number[] = [];
      for (let j = 0; j < this.capacity / 2; j++) {
        lastPairs.push(s.lastT[2 * j + 1] >= s.lastT[2 * j] ? s.last[2 * j + 1] : s.last[2 * j]);
      }
      merge(s.min, Math.min); reset(s.min, Infinity);
      merge(s.max, Math.max); reset(s.max, -Infinity);
      merge(s.sum, (x, y) => x + y); reset(s.sum, 0);
      merge(s.n, (x, y) => x + y); reset(s.n, 0);
      merge(s.lastT, Math.max); reset(s.lastT, -Infinity);
      s.last.set(lastPairs); reset(s.last, 0);
    }
    this.width *= 2;
    this.used = Math.ceil(this.used / 2);
  }

  toEnvelope(): Envelope {
    const x: number[] = [];
    const n: number[] = [];
    for (let i = 0; i < this.used; i++) { x.push((i * this.width) / 1000); n.push(this.count[i]); }
    const columns: Record<string, EnvelopeColumn> = {};
    for (const [k, s] of this.stats) {
      const col: EnvelopeColumn = { min: [], max: [], mean: [], last: [] };
      for (let i = 0; i < this.used; i++) {
        const has = s.n[i] > 0;
        col.min.push(has ? s.min[i] : null);
        col.max.push(has ? s.max[i] : null);
        col.mean.push(has ? s.sum[i] / s.n[i] : null);
        col.last.push(has ? s.last[i] : null);
      }
      columns[k] = col;
    }
    return { widthMs: this.width, x, n, columns };
  }
}

/** The same envelope on a wider grid (a power-of-two multiple of its width): used to put runs
 *  sampled for different lengths of time on one x axis. Means are not kept (charts use min/max). */
export function widenEnvelope(e: Envelope, widthMs: number): Envelope {
  let cur = e;
  while (cur.widthMs < widthMs) {
    const half = Math.ceil(cur.x.length / 2);
    const x: number[] = [];
    const n: number[] = [];
    for (let j = 0; j < half; j++) { x.push((j * cur.widthMs * 2) / 1000); n.push(cur.n[2 * j] + (cur.n[2 * j + 1] ?? 0)); }
    const pick = (a: Array<number | null>, f: (p: number, q: number) => number) => {
      const out: Array<number | null> = [];
      for (let j = 0; j < half; j++) {
        const p = a[2 * j] ?? null;
        const q = 2 * j + 1 < a.length ? a[2 * j + 1] : null;
        out.push(p === null ? q : q === null ? p : f(p, q));
      }
      return out;
    };
    const columns: Envelope['columns'] = {};
    for (const [k, c] of Object.entries(cur.columns)) {
      columns[k] = { min: pick(c.min, Math.min), max: pick(c.max, Math.max), mean: pick(c.mean, (p, q) => (p + q) / 2), last: pick(c.last, (_p, q) => q) };
    }
    cur = { widthMs: cur.widthMs * 2, x, n, columns };
  }
  return cur;
}
