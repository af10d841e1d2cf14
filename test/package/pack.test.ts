// The published package works on its own: `npm pack` (which builds the JavaScript), then install
// that tarball into an empty directory (its install script compiles the native addon) and run
// the bins from there: no TypeScript, no tsx, no source tree.
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { PACKAGE_ROOT, packageVersion } from '../../lib/paths.ts';

const npm = (args: string[], cwd: string) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'],
  { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });

t.test('npm pack + npm install of the tarball give working auditstorm and tsauditd', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'auditstorm-pack-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  npm(['pack', '--pack-destination', dir], PACKAGE_ROOT);
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  t.ok(tarball, 'npm pack wrote a tarball');
  const listing = execFileSync('tar', ['-tzf', join(dir, tarball!)], { encoding: 'utf8' }).split('\n');
  t.ok(listing.includes('package/dist/harness/cli/main.js'), 'the tarball ships the built JavaScript');
  t.same(listing.filter((f) => /\.ts$|\.tsbuildinfo$|\.node$|^package\/test\//.test(f)), [], 'no TypeScript sources, build info, machine code or tests');

  const app = join(dir, 'app');
  execFileSync('mkdir', [app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }));
  npm(['install', '--prefer-offline', join(dir, tarball!)], app);
  const installed = join(app, 'node_modules/auditstorm');
  t.ok(existsSync(join(installed, 'dist/auditd/native/build/Release/audit_socket.node')), 'install compiled the native addon and put it beside the built loader');
  t.notOk(existsSync(join(app, 'node_modules/tsx')), 'tsx is not installed with the package');

  const bin = (name: string, args: string[]) => spawnSync(join(app, 'node_modules/.bin', name), args, { encoding: 'utf8', cwd: app, env: { ...process.env, NODE_OPTIONS: '' } });
  const v = bin('auditstorm', ['--version']);
  t.equal(v.status, 0, v.stderr);
  t.equal(v.stdout.trim(), packageVersion());
  const h = bin('tsauditd', ['--help']);
  t.equal(h.status, 0, h.stderr);
  t.match(h.stderr, /usage: tsauditd/);
  // a command that reads the package's data files (scenario, rules, syscall tables) from the install
  const val = bin('auditstorm', ['validate', 'steady-openat']);
  t.equal(val.status, 0, val.stderr);
  t.match(val.stdout, `${join(installed, 'loads/scenarios/steady-openat.yaml')}`.replace(/.*\//, ''));
});
