// End to end on the real kernel: both example bundles reproduce (unbounded shows the symptom)
// and block holds memory. Needs root, kernel audit and tsauditd; short runs (10 s each), two
// policies per bundle. Run under the dev lock:
//   flock /run/lock/auditstorm-dev.lock npx tap test/harness/reproduce/reproduce-e2e.test.ts
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { reproduce } from '../../../harness/reproduce/reproduce.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tsauditd = join(root, 'auditd/bin/tsauditd.js');
const skip = process.getuid?.() !== 0 ? 'needs root (kernel audit)'
  : !existsSync(tsauditd) ? 'tsauditd is not there yet (auditd/bin/tsauditd.js)'
    : !existsSync('/proc/self/loginuid') ? 'kernel without audit' : false;

function kernelClean(): string {
  return execFileSync('auditctl', ['-s']).toString().split('\n').filter((l) => /^(enabled|pid) /.test(l)).join(', ') + '; ' +
    execFileSync('auditctl', ['-l']).toString().trim();
}

t.test('both example bundles reproduce; block holds memory', { skip, timeout: 300_000 }, async (t) => {
  const found = kernelClean();
  const out = mkdtempSync(join(tmpdir(), 'repro-e2e-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  for (const b of ['2009-runaway', 'backlog-storm']) {
    const r = await reproduce({ bundle: join(root, 'loads/bundles', b), outRoot: out, maxDurationMs: 10_000, policies: ['unbounded', 'block'] });
    t.comment(`${b}: ${r.conclusion}`);
    const json = JSON.parse(readFileSync(join(r.dir, 'reproduce.json'), 'utf8'));
    t.same(Object.keys(json).filter((k) => ['derived', 'scale', 'runs', 'reproduced'].includes(k)).sort(), ['derived', 'reproduced', 'runs', 'scale']);
    t.equal(json.runs.length, 2);
    for (const run of json.runs) for (const k of ['policy', 'verdict', 'peakRssBytes', 'oomKills', 'silentLoss']) t.ok(k in run, `runs[].${k}`);
    t.equal(r.reproduced, true, `${b}: unbounded shows the field's symptom`);
    t.equal(r.blockHoldsMemory, true, `${b}: block holds memory`);
    t.ok(existsSync(join(r.dir, 'scenario.yaml')) && existsSync(join(r.dir, 'derived.rules')));
  }
  t.equal(kernelClean(), found, `the kernel is left as found (${found})`);
});
