// Load throughput: the runner reports each generator's cumulative count of audited operations
// as progress arrives; each tick turns the total into events per second over the last second.
export interface ThroughputSample {
  eventsPerSec: number;
  total: number;
}

export class ThroughputMonitor {
  private readonly totals = new Map<string, number>();
  private total = 0;
  /** (time, total) pairs covering a little more than the rate window */
  private readonly history: Array<{ atMs: number; total: number }> = [];

  constructor(private readonly windowMs = 1000) {}

  /** A generator's cumulative count so far (monotonic; a lower figure is ignored). */
  report(source: string, cumulative: number): void {
    const prev = this.totals.get(source) ?? 0;
    if (cumulative <= prev) return;
    this.totals.set(source, cumulative);
    this.total += cumulative - prev;
  }

  /** Add n operations not tied to a named generator. */
  add(n: number): void {
    this.total += n;
  }

  get totalEvents(): number {
    return this.total;
  }

  sample(nowMs: number): ThroughputSample {
    this.history.push({ atMs: nowMs, total: this.total });
    while (this.history.length > 2 && this.history[1].atMs <= nowMs - this.windowMs) this.history.shift();
    const first = this.history[0];
    const dt = nowMs - first.atMs;
    const eventsPerSec = dt > 0 ? Math.round(((this.total - first.total) * 1000) / dt) : 0;
    return { eventsPerSec, total: this.total };
  }
}
