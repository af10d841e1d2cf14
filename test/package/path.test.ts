// The three ways README.md gives to put `auditstorm` on the PATH after `npm install` (npm does
// not link a package's own bins): npx from the checkout, `npm link`, and a global install of
// the packed tarball. Global installs go to a scratch prefix, never the machine's.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT, packageVersion } from '../../lib/paths.ts';

const env = (prefix?: string) => ({ ...process.env, NODE_OPTIONS: '', ...(prefix ? { npm_config_prefix: prefix } : {}) });
const quiet = ['--no-audit', '--no-fund', '--loglevel=error'];

t.test('npx auditstorm from the checkout', async (t) => {
  // ignore-scripts: npx's first run in a fresh checkout would run its install script again and
  // rebuild the native addon (node-gyp removes build/ first) under the kernel tests beside this one
  const r = spawnSync('npx', ['--no-install', 'auditstorm', '--version'], { cwd: PACKAGE_ROOT, encoding: 'utf8', env: { ...env(), npm_config_ignore_scripts: 'true' } });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), packageVersion());
});

t.test('npm link puts auditstorm and tsauditd on the PATH', async (t) => {
  const prefix = mkdtempSync(join(tmpdir(), 'auditstorm-link-'));
  t.teardown(() => rmSync(prefix, { recursive: true, force: true }));
  // --ignore-scripts: the checkout is built already (npm test builds first); a link must not rebuild it
  execFileSync('npm', ['link', '--ignore-scripts', ...quiet], { cwd: PACKAGE_ROOT, env: env(prefix), stdio: ['ignore', 'pipe', 'pipe'] });
  const path = `${join(prefix, 'bin')}:${process.env.PATH}`;
  const v = spawnSync('auditstorm', ['--version'], { encoding: 'utf8', env: { ...env(), PATH: path } });
  t.equal(v.status, 0, v.stderr);
  t.equal(v.stdout.trim(), packageVersion(), 'auditstorm found on the PATH');
  const h = spawnSync('tsauditd', ['--help'], { encoding: 'utf8', env: { ...env(), PATH: path } });
  t.equal(h.status, 0, h.stderr);
  t.match(h.stderr, /usage: tsauditd/, 'tsauditd found on the PATH');
});

t.test('npm install -g of the packed tarball', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'auditstorm-global-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // --ignore-scripts: the checkout is built already; that `npm pack` builds is the pack test's concern
  execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir, ...quiet], { cwd: PACKAGE_ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
  t.ok(tgz, 'npm pack wrote a tarball');
  const prefix = join(dir, 'prefix');
  // the native addon's compile is the pack test's concern (test/package/pack.test.ts); here: the PATH
  execFileSync('npm', ['install', '-g', '--ignore-scripts', '--prefer-offline', join(dir, tgz), ...quiet], { cwd: dir, env: env(prefix), stdio: ['ignore', 'pipe', 'pipe'] });
  const v = spawnSync(join(prefix, 'bin', 'auditstorm'), ['--version'], { encoding: 'utf8', env: env() });
  t.equal(v.status, 0, v.stderr);
  t.equal(v.stdout.trim(), packageVersion(), 'the global auditstorm runs');
});
