// The bins start from the built JavaScript, print package.json's version, and the CLI loads only
// the command it runs (lazy imports): checked by listing every module a run loads.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PACKAGE_ROOT, packageFile, packageVersion } from '../../../lib/paths.ts';

const HOOK = new URL('../../fixtures/log-loads.mjs', import.meta.url).pathname;
const AUDITSTORM = packageFile('harness/bin/auditstorm.js');
const TSAUDITD = packageFile('auditd/bin/tsauditd.js');

function loads(t: { teardown(fn: () => void): void }, bin: string, args: string[]): { modules: string[]; stdout: string; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), 'startup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'loads.txt');
  const r = spawnSync(process.execPath, ['--import', HOOK, bin, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', LOG_LOADS: log } });
  const modules = readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith('file://'))
    .map((u) => u.replace(`file://${PACKAGE_ROOT}/`, ''));
  return { modules, stdout: r.stdout, status: r.status };
}

t.test('--version prints package.json\'s version, from built JavaScript only', async (t) => {
  const a = loads(t, AUDITSTORM, ['--version']);
  t.equal(a.status, 0);
  t.equal(a.stdout.trim(), packageVersion());
  const d = loads(t, TSAUDITD, ['--version']);
  t.equal(d.status, 0);
  t.equal(d.stdout.trim(), `tsauditd ${packageVersion()}`);
  for (const m of [...a.modules, ...d.modules]) t.notMatch(m, /\.ts$|\/tsx\//, `no TypeScript and no tsx at run time: ${m}`);
});

t.test('--help loads commander and the command definitions, nothing a command runs', async (t) => {
  const r = loads(t, AUDITSTORM, ['--help']);
  t.equal(r.status, 0);
  t.match(r.stdout, /Usage: auditstorm/);
  const ours = r.modules.filter((m) => !m.includes('node_modules/'));
  const deps = r.modules.filter((m) => m.includes('node_modules/')).map((m) => m.replace(/.*node_modules\/([^/]+).*/, '$1'));
  t.same([...new Set(deps)], ['commander'], 'the only package loaded is commander');
  t.same(ours.filter((m) => !/^(harness\/bin\/|lib\/|dist\/lib\/|dist\/harness\/cli\/|dist\/harness\/scenario\/names\.js$|dist\/harness\/verdict\/accounting\.js$)/.test(m)), [],
    'only the bin, lib/, the CLI\'s own files, the name lists and namedLoss (verdict lines)');
});

t.test('validate loads the scenario, rule and config checks, not the runner, daemons, faults, kernel control, monitors or report', async (t) => {
  const r = loads(t, AUDITSTORM, ['validate', 'steady-openat']);
  t.equal(r.status, 0, r.stdout);
  t.ok(r.modules.some((m) => m === 'dist/harness/scenario/load-scenario.js'), 'the scenario loader ran');
  // it checks the daemon config with tsauditd's own parser: auditd/config.js and config-file.js, no more
  const allowed = new Set(['dist/auditd/config.js', 'dist/harness/daemons/config-file.js']);
  t.same(r.modules.filter((m) => !allowed.has(m) && /dist\/(auditd|harness\/(run|daemons|report|monitors|faults|host)\/)|kernel\/audit-control/.test(m)), []);
  t.same(r.modules.filter((m) => /node_modules\/(playwright-core|log-update|execa|netlink)\//.test(m)), []);
});
