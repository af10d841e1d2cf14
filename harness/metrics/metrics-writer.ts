// Appends metrics.jsonl lines without blocking the tick: a write stream hands them to the
// threadpool. If the disk stalls (the very faults we inject can stall a disk), lines queue in
// memory up to a cap and are then dropped and counted, never allowed to grow without bound.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { MetricsLine } from './metrics-types.ts';

const MAX_QUEUED_BYTES = 16 * 1024 * 1024;

export class MetricsWriter {
  private readonly stream: WriteStream;
  private closed = false;
  linesWritten = 0;
  linesDropped = 0;
  error: Error | null = null;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: 'a' });
    this.stream.on('error', (err) => { this.error = err; });
  }

  write(line: MetricsLine): void {
    if (this.closed || this.error) { this.linesDropped++; return; }
    if (this.stream.writableLength > MAX_QUEUED_BYTES) { this.linesDropped++; return; }
    this.stream.write(JSON.stringify(line) + '\n');
    this.linesWritten++;
  }

  /** Flush and close; idempotent. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => {
      this.stream.end(() => resolve());
      this.stream.once('error', () => resolve());
    });
  }
}
