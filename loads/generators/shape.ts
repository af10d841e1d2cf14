// Load shapes: the rate (operations per second per process) a generator aims for at each moment.
// Pure functions, shared by the scenario schema (validation) and the generators (pacing).

/** operations per second per process, or as fast as the process can go */
export type Rate = number | 'max';

export type Shape =
  | { kind: 'steady' }
  /** linear from `from` to `to` over `overMs` (default: the load's duration), then stays at `to` */
  | { kind: 'ramp'; from: number; to: number; overMs?: number }
  /** `high` for the first duty*period of every period, `low` for the rest */
  | { kind: 'square'; low: Rate; high: Rate; periodMs: number; duty: number }
  /** the load's base rate, with `rate` for `forMs` at the start of every `everyMs` after `firstMs` */
  | { kind: 'burst'; everyMs: number; forMs: number; rate: Rate; firstMs: number };

export const SHAPE_KINDS = ['steady', 'ramp', 'square', 'burst'] as const;

/** The rate at `elapsedMs` into the load. `durationMs` is the load's duration when it has one. */
export function rateAt(shape: Shape, base: Rate, elapsedMs: number, durationMs?: number): Rate {
  switch (shape.kind) {
    case 'steady':
      return base;
    case 'ramp': {
      const over = shape.overMs ?? durationMs;
      if (!over || elapsedMs >= over) return shape.to;
      return shape.from + (shape.to - shape.from) * (elapsedMs / over);
    }
    case 'square': {
      const phase = (elapsedMs % shape.periodMs) / shape.periodMs;
      return phase < shape.duty ? shape.high : shape.low;
    }
    case 'burst': {
      if (elapsedMs < shape.firstMs) return base;
      const into = (elapsedMs - shape.firstMs) % shape.everyMs;
      return into < shape.forMs ? shape.rate : base;
    }
  }
}

/**
 * Paces operations to a shape: call `due(now)` and perform that many operations. It keeps the
 * running integral of the rate, so a process that fell briefly behind catches up (up to
 * `maxBurst` operations at a time) instead of losing the operations it owed.
 */
export class Pacer {
  private owed = 0;
  private last: number;

  constructor(
    private readonly shape: Shape,
    private readonly base: Rate,
    private readonly startMs: number,
    private readonly durationMs: number | undefined,
    private readonly maxBurst = 1000,
  ) {
    this.last = startMs;
  }

  /** the rate now: a number, or 'max' */
  rate(nowMs: number): Rate {
    return rateAt(this.shape, this.base, nowMs - this.startMs, this.durationMs);
  }

  /** how many operations are due now ('max' -> maxBurst) */
  due(nowMs: number): number {
    const dt = Math.max(0, nowMs - this.last);
    // the rate at the middle of the interval: the integral stays exact on a ramp
    const rate = this.rate(this.last + dt / 2);
    this.last = nowMs;
    if (rate === 'max' || this.rate(nowMs) === 'max') {
      this.owed = 0;
      return this.maxBurst;
    }
    // at most a second's worth owed: a process that cannot keep up must not run flat out long
    // after the shape asked for less
    this.owed = Math.min(this.owed + (rate * dt) / 1000, Math.max(rate, this.maxBurst));
    const n = Math.min(Math.floor(this.owed), this.maxBurst);
    this.owed -= n;
    return n;
  }

  /** the operations just promised were done (or not): only call with what was not done */
  giveBack(n: number): void {
    this.owed += n;
  }
}
