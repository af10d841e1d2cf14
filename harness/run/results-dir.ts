// Where a run writes: results/<time>-<scenario>-<daemon>/ with scenario.yaml (as run, seed
// included), metrics.jsonl, results.tap, summary.json and excerpts of the daemon's log.
import { closeSync, mkdirSync, openSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { packageFile } from '../../lib/paths.ts';

export const DEFAULT_RESULTS_ROOT = packageFile('results');

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-');

export function runDirName(scenario: string, daemonLabel: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${safe(scenario)}-${safe(daemonLabel)}`;
}

export function createRunDir(root: string, scenario: string, daemonLabel: string): string {
  let dir = join(root, runDirName(scenario, daemonLabel));
  // two runs in the same second (compare, tests) get distinct folders
  for (let i = 2; ; i++) {
    try {
      mkdirSync(dir, { recursive: false });
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        mkdirSync(root, { recursive: true });
        continue;
      }
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      dir = join(root, `${runDirName(scenario, daemonLabel)}-${i}`);
    }
  }
}

export function writeJson(dir: string, name: string, value: unknown): void {
  const tmp = join(dir, `.${name}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  // rename is atomic: a reader (or a killed soak) never sees half a summary
  renameSync(tmp, join(dir, name));
}

/** The first and last `bytes` of a log, so a result folder shows what the daemon wrote without
 *  copying gigabytes. */
export function writeLogExcerpt(dir: string, logFiles: string[], bytes = 64 * 1024): void {
  const parts: string[] = [];
  for (const file of logFiles) {
    let size = 0;
    try { size = statSync(file).size; } catch { continue; }
    const fd = openSync(file, 'r');
    try {
      const read = (pos: number, len: number) => { const b = Buffer.alloc(len); const n = readSync(fd, b, 0, len, pos); return b.subarray(0, n).toString('utf8'); };
      if (size <= 2 * bytes) {
        parts.push(`==> ${basename(file)} (${size} bytes, whole) <==\n${read(0, size)}`);
      } else {
        parts.push(`==> ${basename(file)} (${size} bytes): first ${bytes} <==\n${read(0, bytes)}\n` +
          `==> ${basename(file)}: last ${bytes} <==\n${read(size - bytes, bytes)}`);
      }
    } finally {
      closeSync(fd);
    }
  }
  writeFileSync(join(dir, 'daemon-log-excerpt.txt'), parts.join('\n') || '(the daemon wrote no log)\n');
}
