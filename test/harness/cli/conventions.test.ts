// CLI conventions a CI job relies on: --json puts one JSON document on stdout and everything for
// humans on stderr, --summary-export writes the same document to a file; --help lists the exit
// codes and the environment variables; SIGTERM's exit code is 143 (the run test shows it on a
// real run). No kernel: reproduce --dry-run derives and writes, runs nothing.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../../harness/scenario/load-scenario.ts';

const cli = join(PROJECT_ROOT, 'harness/bin/auditstorm.js');
const as = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

t.test('--json: one JSON document on stdout; --summary-export: the same in a file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-json-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const exported = join(dir, 'out.json');
  const r = as('reproduce', join(PROJECT_ROOT, 'loads/bundles/2009-runaway'), '--dry-run', '--out', dir, '--json', '--summary-export', exported);
  t.equal(r.status, 0, r.stderr.slice(-500));
  const doc = JSON.parse(r.stdout) as { conclusion: string; derived: unknown };
  t.ok(doc.derived && typeof doc.conclusion === 'string', 'stdout is reproduce.json');
  t.match(r.stderr, /reproduce\.json: /, 'the human lines went to stderr');
  t.same(JSON.parse(readFileSync(exported, 'utf8')), doc, '--summary-export wrote the same document');
});

t.test('--help lists exit codes and environment variables', async (t) => {
  const r = as('--help');
  t.equal(r.status, 0);
  for (const s of ['Exit codes', '143', '130', 'NO_COLOR', 'AUDITSTORM_KERNEL_HZ', 'AUDITSTORM_STATE_DIR', 'AUDITSTORM_HOST_SNAPSHOT']) t.match(r.stdout, s);
  for (const cmd of ['run', 'compare', 'bench', 'reproduce']) t.match(as(cmd, '--help').stdout, /--json[\s\S]*--summary-export/, `${cmd} has --json and --summary-export`);
  t.notMatch(as('--help').stdout, /\x1b\[/, 'no escape sequences');
});
