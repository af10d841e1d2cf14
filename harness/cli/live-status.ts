// The one-line live status of a run on a terminal (log-update redraws it in place); nothing on
// a pipe or in CI, where the phase lines are the progress.
import logUpdate from 'log-update';
import type { LiveStatus } from '../run/run-scenario.ts';

const mib = (b: number | null) => (b == null ? '-' : `${(b / 1048576).toFixed(1)}MiB`);

export function formatStatus(s: LiveStatus): string {
  const pct = Math.min(100, Math.round((s.elapsedMs / s.durationMs) * 100));
  return `[${(s.elapsedMs / 1000).toFixed(1)}s/${(s.durationMs / 1000).toFixed(0)}s ${pct}%] ` +
    `${Math.round(s.eventsPerSec)} ev/s  rss ${mib(s.rssBytes)}  queue ${s.queueRecords ?? '-'}  ` +
    `backlog ${s.backlog ?? '-'}  lost ${s.lost ?? '-'}`;
}

export interface StatusLine {
  update(s: LiveStatus): void;
  /** print a line above the status line */
  log(line: string): void;
  done(): void;
}

export function statusLine(options: { quiet: boolean; tty: boolean }): StatusLine {
  let last = 0;
  if (options.quiet) return { update() {}, log() {}, done() {} };
  if (!options.tty) return { update() {}, log: (l) => console.log(l), done() {} };
  return {
    update(s) {
      const now = Date.now();
      if (now - last < 200) return; // 5 redraws a second are plenty for a human
      last = now;
      logUpdate(formatStatus(s));
    },
    log(line) {
      logUpdate.clear();
      console.log(line);
    },
    done() {
      logUpdate.done();
    },
  };
}
