// Read metrics.jsonl back: streamed (for hours-long soaks) or all at once. A final line cut off
// by a SIGKILL mid-write is skipped and flagged; a bad line anywhere else is an error naming
// file:line.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { isEvent, type MetricsEvent, type MetricsLine, type MetricsSample } from './metrics-types.ts';

export class MetricsFormatError extends Error {
  constructor(path: string, line: number, message: string) {
    super(`${path}:${line}: ${message} (metrics.jsonl holds one JSON object per line, written by harness/metrics/metrics-writer.ts)`);
    this.name = 'MetricsFormatError';
  }
}

export interface MetricsFile {
  samples: MetricsSample[];
  events: MetricsEvent[];
  /** the last line was incomplete (the writer was killed mid-line) and was skipped */
  truncatedTail: boolean;
}

/** Yields each line; the last line may be reported as truncated via the returned flag holder. */
export async function* iterateMetrics(path: string, tail: { truncated: boolean } = { truncated: false }): AsyncGenerator<MetricsLine> {
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let lineNo = 0;
  let pending: { lineNo: number; text: string } | null = null;
  const parse = (p: { lineNo: number; text: string }): MetricsLine => {
    let v: unknown;
    try {
      v = JSON.parse(p.text);
    } catch (err) {
      throw new MetricsFormatError(path, p.lineNo, `not JSON: ${(err as Error).message}`);
    }
    if (typeof v !== 'object' || v === null || typeof (v as { t?: unknown }).t !== 'number') {
      throw new MetricsFormatError(path, p.lineNo, 'expected an object with a numeric `t` (ms since run start)');
    }
    return v as MetricsLine;
  };
  for await (const text of rl) {
    lineNo++;
    if (text.trim() === '') continue;
    // Parse one line behind, so the last line can be treated leniently.
    if (pending) yield parse(pending);
    pending = { lineNo, text };
  }
  if (pending) {
    try {
      yield parse(pending);
    } catch (err) {
      if (!(err instanceof MetricsFormatError)) throw err;
      tail.truncated = true;
    }
  }
}

export async function readMetrics(path: string): Promise<MetricsFile> {
  const out: MetricsFile = { samples: [], events: [], truncatedTail: false };
  const tail = { truncated: false };
  for await (const line of iterateMetrics(path, tail)) {
    if (isEvent(line)) out.events.push(line);
    else out.samples.push(line);
  }
  out.truncatedTail = tail.truncated;
  return out;
}
