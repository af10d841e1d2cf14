// RSS slope after warm-up by least squares, with its standard error, so a leak check can ask
// "is the slope above the limit with confidence", not "did noise tilt the line".
export interface SlopeEstimate {
  /** bytes per second */
  slope: number;
  /** standard error of the slope, bytes per second */
  stderr: number;
  samples: number;
  /** the lower end of a ~95% one-sided bound: slope - 1.645 * stderr */
  lowerBound: number;
}

export function rssSlope(points: Array<{ tMs: number; rss: number }>): SlopeEstimate | null {
  const n = points.length;
  if (n < 5) return null;
  let sx = 0, sy = 0;
  for (const p of points) { sx += p.tMs / 1000; sy += p.rss; }
  const mx = sx / n, my = sy / n;
  let sxx = 0, sxy = 0;
  for (const p of points) { const dx = p.tMs / 1000 - mx; sxx += dx * dx; sxy += dx * (p.rss - my); }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  let sse = 0;
  for (const p of points) { const e = p.rss - (my + slope * (p.tMs / 1000 - mx)); sse += e * e; }
  const stderr = Math.sqrt(sse / (n - 2) / sxx);
  return { slope, stderr, samples: n, lowerBound: slope - 1.645 * stderr };
}
