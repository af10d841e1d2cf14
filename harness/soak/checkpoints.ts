// Periodic checkpoints of summary.json, so a soak killed at hour 7 still has a result: every
// intervalMs the builder's object is written atomically (tmp + rename: a kill mid-write leaves
// the previous checkpoint whole). stop() ends the timer before the runner writes the final
// summary, so a late checkpoint can never overwrite it.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Checkpoints {
  /** write one now (also called by the timer) */
  write(): void;
  stop(): void;
  readonly count: number;
}

export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

export function startCheckpoints(o: { dir: string; intervalMs?: number; file?: string; build: () => unknown; onError?: (e: Error) => void }): Checkpoints {
  const path = join(o.dir, o.file ?? 'summary.json');
  let count = 0;
  let stopped = false;
  const write = () => {
    if (stopped) return;
    try {
      writeJsonAtomic(path, o.build());
      count++;
    } catch (err) {
      o.onError?.(err as Error);
    }
  };
  const timer = setInterval(write, o.intervalMs ?? 60_000);
  timer.unref();
  return {
    write,
    stop() { stopped = true; clearInterval(timer); },
    get count() { return count; },
  };
}
