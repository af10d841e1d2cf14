// After the window closes: what the daemon says about itself (its stats file) and what its log
// holds, read once. Only per-event counters may explain events missing from the log; the
// daemon's record counters (plugin queues, malformed datagrams, records dropped) are kept
// beside, for the report.
import { readFileSync } from 'node:fs';
import { scanLogFiles, type LogScan } from '../verdict/log-events.ts';
import type { LogFormat } from '../verdict/log-format.ts';
import type { DaemonLossInputs } from '../verdict/accounting.ts';

export interface DaemonCounters extends DaemonLossInputs {
  /** records dropped from plugin queues (never the log's loss) */
  pluginDroppedRecords: number | null;
  /** datagrams the daemon could not parse (not records of an event) */
  malformedDatagrams: number | null;
  /** the daemon's record counters under `dropped`, as written */
  droppedRecords: Record<string, number> | null;
}

/** The final stats file: `events: { droppedQueueFull, notWritten }` (whole events) is the only
 *  figure used to explain log loss; a stats file without `events` gives null there. */
export function readDaemonCounters(statsPath: string | null): DaemonCounters {
  const none: DaemonCounters = { droppedEvents: null, notWrittenEvents: null, pluginDroppedRecords: null, malformedDatagrams: null, droppedRecords: null };
  if (!statsPath) return none;
  let st: { events?: { droppedQueueFull?: unknown; notWritten?: unknown }; dropped?: Record<string, unknown> };
  try {
    st = JSON.parse(readFileSync(statsPath, 'utf8'));
  } catch {
    return none;
  }
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const dropped = st.dropped && typeof st.dropped === 'object'
    ? Object.fromEntries(Object.entries(st.dropped).filter(([, v]) => typeof v === 'number')) as Record<string, number>
    : null;
  return {
    droppedEvents: num(st.events?.droppedQueueFull),
    notWrittenEvents: num(st.events?.notWritten),
    pluginDroppedRecords: dropped?.plugin ?? null,
    malformedDatagrams: dropped?.malformed ?? null,
    droppedRecords: dropped,
  };
}

export async function scanDaemonLog(files: string[], o: { auid: number; loadPids: Iterable<number>; format?: LogFormat }): Promise<LogScan> {
  return scanLogFiles(files, o);
}
