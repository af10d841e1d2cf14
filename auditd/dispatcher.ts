// The dispatcher: hands every record to every active plugin (audispd-style, string format).
// A batch is formatted once and shared by all plugins' queues. dispatch() returns false while a
// plugin with overflow_action=block is full; onWritable callbacks fire once all such plugins
// have room again, so the core can resume intake: block propagates back to the main queue.

import type { AuditRecord, Dispatcher } from './types.ts';
import { formatGroups, PLUGIN_FORMAT, type FormatOptions } from './format.ts';
import type { PluginConfig } from './plugin-config.ts';
import { PluginProcess, type PluginProcessStats } from './plugin-process.ts';

export interface DispatcherOptions {
  plugins: PluginConfig[];
  onWarn?: (msg: string) => void;
  /** delay before restarting a crashed plugin (default 50 ms) */
  restartDelayMs?: number;
  /** how long close() lets a plugin drain its queue before closing its stdin (default 3000 ms) */
  closeTimeoutMs?: number;
  /** the plugins' line format (default PLUGIN_FORMAT; ENRICHED: formatsFor(enricher).plugin) */
  format?: FormatOptions;
}

export interface PluginDispatcher extends Dispatcher {
  stats(): PluginProcessStats[];
  /** true while some block-policy plugin is full */
  blocked(): boolean;
}

export async function createDispatcher(options: DispatcherOptions): Promise<PluginDispatcher> {
  const warn = options.onWarn ?? ((m: string) => process.stderr.write(`tsauditd: ${m}\n`));
  const writable: (() => void)[] = [];
  let waiting = false; // dispatch() said false and no onWritable has fired since

  const onRoom = (): void => {
    if (!waiting || procs.some((p) => p.full())) return;
    waiting = false;
    for (const cb of writable) cb();
  };
  const procs = options.plugins
    .filter((p) => p.active)
    .map((cfg) => new PluginProcess(cfg, { onWarn: warn, onRoom, restartDelayMs: options.restartDelayMs }));
  for (const p of procs) p.start();

  return {
    dispatch(records: AuditRecord[]): boolean {
      if (procs.length === 0 || records.length === 0) return !procs.some((p) => p.full());
      const { buf, ends, lines } = formatGroups([records], options.format ?? PLUGIN_FORMAT, undefined, undefined, true);
      for (const p of procs) p.offer(buf, ends!, lines);
      const full = procs.some((p) => p.full());
      if (full) waiting = true;
      return !full;
    },
    onWritable(cb: () => void): void {
      writable.push(cb);
    },
    blocked(): boolean {
      return procs.some((p) => p.full());
    },
    async close(): Promise<void> {
      await Promise.all(procs.map((p) => p.close(options.closeTimeoutMs)));
    },
    stats(): PluginProcessStats[] {
      return procs.map((p) => p.stats());
    },
  };
}
