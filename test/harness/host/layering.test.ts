// The host layer stands below everything that changes the host through it (runner, daemons,
// faults): its modules import only themselves, the kernel layer and lib/, so `auditstorm reset`
// undoes any record without loading the layer that wrote it.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { packageFile } from '../../../lib/paths.ts';

const root = packageFile('.');
const ALLOWED = ['harness/host/', 'harness/kernel/', 'lib/'];

/** Relative module specifiers of a source text: static imports, re-exports and import(). */
export function relativeImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) out.push(m[1]!);
  return out;
}

function outsideLayer(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return relativeImports(text)
    .map((spec) => relative(root, resolve(dirname(join(root, file)), spec)))
    .filter((target) => !ALLOWED.some((a) => target.startsWith(a)));
}

t.test('the import scanner sees each form of import (so the check below can fail)', async (t) => {
  t.same(relativeImports([
    "import { a } from '../faults/kinds.ts';",
    "import type { B } from './b.ts';",
    "export { c } from '../run/c.ts';",
    "import './side-effect.ts';",
    "  const m = await import('../../harness/faults/log-volume.ts');",
    "import { execa } from 'execa';",
  ].join('\n')), ['../faults/kinds.ts', './b.ts', '../run/c.ts', './side-effect.ts', '../../harness/faults/log-volume.ts']);
});

t.test('harness/host imports only harness/host, harness/kernel and lib', async (t) => {
  const files = readdirSync(join(root, 'harness/host')).filter((f) => f.endsWith('.ts')).map((f) => `harness/host/${f}`);
  t.ok(files.length > 10, `${files.length} modules`);
  for (const f of files) t.same(outsideLayer(f), [], f);
});

t.test('`auditstorm reset` loads only the host layer', async (t) => {
  const cli = readFileSync(join(root, 'harness/cli/commands/host.ts'), 'utf8');
  const reset = cli.slice(cli.indexOf(".command('reset')"), cli.indexOf(".command('host-snapshot')"));
  t.ok(reset.length > 100, 'found the reset command');
  const targets = relativeImports(reset).map((s) => relative(root, resolve(join(root, 'harness/cli/commands'), s)));
  t.ok(targets.length > 0);
  for (const target of targets) t.match(target, /^harness\/host\//, target);
});
