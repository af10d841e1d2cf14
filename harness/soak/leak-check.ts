// Leak detection on a memory series after warm-up: a least-squares slope with a confidence
// bound that accounts for autocorrelation. Fitting 10 Hz samples as if independent makes the
// standard error far too small (a GC sawtooth or a slow swing would "prove" a leak), so the fit
// runs on bucket means (the downsampled series, seconds apart) and the standard error is
// inflated by sqrt((1+r1)/(1-r1)) where r1 is the residuals' lag-1 autocorrelation. A leak is
// declared only when the lower end of the one-sided 95% bound is above the limit.
import type { Bucket } from '../metrics/downsample.ts';

export interface LeakVerdict {
  leak: boolean;
  /** bytes per second */
  slope: number;
  stderr: number;
  lowerBound: number;
  limitBytesPerSec: number;
  points: number;
  r1: number;
  /** growth at this slope over 8 hours, for people */
  per8hBytes: number;
  reason: string;
}

export const DEFAULT_LEAK_LIMIT = 1024 * 1024 / 3600; // 1 MiB per hour

export function leakCheck(points: Array<{ t: number; v: number; w?: number }>, limitBytesPerSec = DEFAULT_LEAK_LIMIT, z = 1.645): LeakVerdict {
  const n = points.length;
  const base = { limitBytesPerSec, points: n };
  if (n < 8) return { leak: false, slope: 0, stderr: 0, lowerBound: 0, r1: 0, per8hBytes: 0, ...base, reason: `too few points after warm-up (${n}); no verdict` };
  let W = 0, mt = 0, mv = 0;
  for (const p of points) { const w = p.w ?? 1; W += w; mt += w * p.t; mv += w * p.v; }
  mt /= W; mv /= W;
  let sxx = 0, sxy = 0;
  for (const p of points) { const w = p.w ?? 1; sxx += w * (p.t - mt) ** 2; sxy += w * (p.t - mt) * (p.v - mv); }
  if (sxx === 0) return { leak: false, slope: 0, stderr: 0, lowerBound: 0, r1: 0, per8hBytes: 0, ...base, reason: 'no time spread' };
  const slope = sxy / sxx;
  const res = points.map((p) => p.v - (mv + slope * (p.t - mt)));
  let sse = 0, num = 0, den = 0;
  for (let i = 0; i < n; i++) { sse += res[i] ** 2; den += res[i] ** 2; if (i) num += res[i] * res[i - 1]; }
  const r1 = den > 0 ? Math.max(-0.99, Math.min(0.99, num / den)) : 0;
  const inflate = r1 > 0 ? Math.sqrt((1 + r1) / (1 - r1)) : 1;
  // unweighted residual variance over the time spread (weights only centre the fit)
  let sxxU = 0;
  const mtU = points.reduce((a, p) => a + p.t, 0) / n;
  for (const p of points) sxxU += (p.t - mtU) ** 2;
  const stderr = Math.sqrt(sse / (n - 2) / sxxU) * inflate;
  const lowerBound = slope - z * stderr;
  const leak = lowerBound > limitBytesPerSec;
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB/s`;
  return {
    leak, slope, stderr, lowerBound, r1, per8hBytes: slope * 8 * 3600, ...base,
    reason: leak
      ? `leak: ${kib(slope)} ± ${kib(stderr)}; even the lower bound ${kib(lowerBound)} exceeds the limit ${kib(limitBytesPerSec)}`
      : `no leak shown: ${kib(slope)} ± ${kib(stderr)} (lower bound ${kib(lowerBound)} <= limit ${kib(limitBytesPerSec)})`,
  };
}

/** Points from a downsampled series (bucket means, weighted by samples), from warmupMs on. */
export function pointsFromBuckets(buckets: readonly Bucket[], warmupMs: number): Array<{ t: number; v: number; w: number }> {
  return buckets.filter((b) => b.t0 >= warmupMs).map((b) => ({ t: (b.t0 + b.t1) / 2000, v: b.sum / b.n, w: b.n }));
}
