// The artifacts a run folder gets after the run (and again on `auditstorm report DIR`):
// report.html, junit.xml and summary.md. Each is rewritten whole (write + rename), so a viewer
// never sees half a file.
import { renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readRunData, type RunData } from './run-data.ts';
import { renderRunReport } from './run-report.ts';
import { toJUnit } from './junit.ts';
import { toMarkdown } from './markdown.ts';

export interface RunArtifacts {
  html: string;
  junit: string;
  markdown: string;
  data: RunData;
}

export async function buildRunArtifacts(dir: string): Promise<RunArtifacts> {
  const abs = resolve(dir);
  const data = await readRunData(abs);
  return { html: renderRunReport(data), junit: toJUnit(data.summary, abs), markdown: toMarkdown(data.summary, abs), data };
}

/** Writes report.html, junit.xml and summary.md into a run folder. */
export async function writeRunArtifacts(dir: string): Promise<void> {
  const a = await buildRunArtifacts(dir);
  writeAtomic(join(dir, 'report.html'), a.html);
  writeAtomic(join(dir, 'junit.xml'), a.junit);
  writeAtomic(join(dir, 'summary.md'), a.markdown);
}

export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
