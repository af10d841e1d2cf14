// A time series in bounded memory: at most `capacity` buckets of min/max/mean. When full,
// neighbouring buckets merge and each bucket then covers twice as many samples, so an 8-hour
// soak at 10 Hz (288,000 samples) keeps 1,024 buckets of ~28 s, with every spike's max intact.
export interface Bucket {
  /** time of the first and last sample in the bucket (ms since run start) */
  t0: number;
  t1: number;
  n: number;
  min: number;
  max: number;
  sum: number;
  last: number;
}

export class DownsampledSeries {
  private readonly buckets: Bucket[] = [];
  /** samples per full bucket (a power of two) */
  private span = 1;

  constructor(readonly capacity = 1024) {
    if (capacity < 2 || capacity % 2) throw new Error(`series capacity must be an even number >= 2, got ${capacity}`);
  }

  push(t: number, v: number | null | undefined): void {
    if (v === null || v === undefined || !Number.isFinite(v)) return;
    const open = this.buckets[this.buckets.length - 1];
    if (open && open.n < this.span) {
      open.t1 = t;
      open.n++;
      open.sum += v;
      open.last = v;
      if (v < open.min) open.min = v;
      if (v > open.max) open.max = v;
      return;
    }
    if (this.buckets.length === this.capacity) this.compact();
    this.buckets.push({ t0: t, t1: t, n: 1, min: v, max: v, sum: v, last: v });
  }

  private compact(): void {
    const merged: Bucket[] = [];
    for (let i = 0; i < this.buckets.length; i += 2) {
      const a = this.buckets[i];
      const b = this.buckets[i + 1];
      merged.push(b ? {
        t0: a.t0, t1: b.t1, n: a.n + b.n, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max), sum: a.sum + b.sum, last: b.last,
      } : a);
    }
    this.buckets.length = 0;
    this.buckets.push(...merged);
    this.span *= 2;
  }

  get samplesPerBucket(): number {
    return this.span;
  }

  toArray(): Bucket[] {
    return this.buckets.map((b) => ({ ...b }));
  }

  /** Least-squares slope (value units per second) of the bucket means from `fromMs` on,
   *  weighted by samples per bucket; null with fewer than two buckets. */
  slopePerSec(fromMs = 0): number | null {
    return slopeOfBuckets(this.buckets.filter((b) => b.t0 >= fromMs));
  }
}

export function slopeOfBuckets(buckets: readonly Bucket[]): number | null {
  if (buckets.length < 2) return null;
  let w = 0, mt = 0, mv = 0;
  for (const b of buckets) {
    const t = (b.t0 + b.t1) / 2000;
    const v = b.sum / b.n;
    w += b.n;
    mt += (b.n * (t - mt)) / w;
    mv += (b.n * (v - mv)) / w;
  }
  let cov = 0, vart = 0;
  for (const b of buckets) {
    const dt = (b.t0 + b.t1) / 2000 - mt;
    cov += b.n * dt * (b.sum / b.n - mv);
    vart += b.n * dt * dt;
  }
  return vart > 0 ? cov / vart : null;
}

/** Exact online least-squares slope (Welford-style, numerically stable over long runs). */
export class OnlineSlope {
  private n = 0;
  private mt = 0;
  private mv = 0;
  private cov = 0;
  private vart = 0;

  push(tSec: number, v: number): void {
    this.n++;
    const dt = tSec - this.mt;
    this.mt += dt / this.n;
    this.mv += (v - this.mv) / this.n;
    // uses the updated mean of v and the pre-update deviation of t: exact co-moment update
    this.cov += dt * (v - this.mv);
    this.vart += dt * (tSec - this.mt);
  }

  get count(): number {
    return this.n;
  }

  /** value units per second; null with fewer than 2 points */
  get slope(): number | null {
    return this.n >= 2 && this.vart > 0 ? this.cov / this.vart : null;
  }
}
