// What `npm test` and `npm start` need beyond npm, installed or checked here so the quick start
// is two commands: Debian's auditd package (the reference peer and the parser of our logs) and
// the native socket tsauditd reads events with, and slowfs, the FUSE layer slow-disk puts under
// the log (C on libfuse3: mounting FUSE and serving /dev/fuse is out of Node's reach).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT, packageFile } from '../../lib/paths.ts';

export class SetupError extends Error {}

// command -> Debian package: auditd is the reference peer and the parser of our logs;
// e2fsprogs (mkfs.ext4) and util-linux (losetup, fsfreeze) back the disk faults; audispd-plugins
// (audisp-remote) is the forwarding setup run through the command daemon (ci/forwarding/).
const DEBIAN_PACKAGES: Record<string, string> = {
  auditctl: 'auditd', ausearch: 'auditd', aureport: 'auditd', auditd: 'auditd', 'audisp-remote': 'audispd-plugins',
  'mkfs.ext4': 'e2fsprogs', losetup: 'mount', fsfreeze: 'util-linux',
  // slowfs (slow-disk's FUSE layer) is built here with cc against libfuse3
  fusermount3: 'fuse3', cc: 'gcc', 'pkg-config': 'pkg-config',
};
// headers found through pkg-config -> Debian package
const DEBIAN_DEV_PACKAGES: Record<string, string> = { fuse3: 'libfuse3-dev' };

/** slowfs's source and binary (the faults layer finds them the same way) */
export const SLOWFS_SOURCE = packageFile('harness/faults/native/slowfs.c');
export const SLOWFS_PATH = packageFile('harness/faults/native/build/slowfs');
// Chromium (~300 MB) only draws report.html for a screenshot, the report browser test and the
// documentation figures; runs never need it, so only `setup --browser` installs it.
const BROWSER_PACKAGES: Record<string, string> = { chromium: 'chromium' };

export interface SetupOptions {
  /** also install Debian's chromium, for `report --screenshot`, the browser test and docs:figures */
  browser?: boolean;
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

const hasPkgConfig = (name: string) => has('pkg-config') && spawnSync('pkg-config', ['--exists', name], { stdio: 'ignore' }).status === 0;

export function missingPackages(opts: SetupOptions = {}): string[] {
  const wanted = { ...DEBIAN_PACKAGES, ...(opts.browser ? BROWSER_PACKAGES : {}) };
  return [...new Set([
    ...Object.entries(wanted).filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg),
    ...Object.entries(DEBIAN_DEV_PACKAGES).filter(([name]) => !hasPkgConfig(name)).map(([, pkg]) => pkg),
  ])];
}

/** Build slowfs when its binary is missing or older than its source. */
export function buildSlowfs(log: (line: string) => void): void {
  if (existsSync(SLOWFS_PATH) && statSync(SLOWFS_PATH).mtimeMs >= statSync(SLOWFS_SOURCE).mtimeMs) return;
  log('building slowfs, the FUSE layer of slow-disk (cc + libfuse3)');
  mkdirSync(dirname(SLOWFS_PATH), { recursive: true });
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'fuse3'], { encoding: 'utf8' }).trim().split(/\s+/);
  try {
    execFileSync('cc', ['-O2', '-Wall', '-o', SLOWFS_PATH, SLOWFS_SOURCE, ...flags, '-lpthread'], { stdio: 'inherit' });
  } catch (err) {
    throw new SetupError(`building slowfs failed (needs cc and libfuse3-dev): ${(err as Error).message}`);
  }
}

// Installing auditd must not start its service: a started auditd would register, enable audit
// and load /etc/audit/rules.d, changing the machine. Debian's policy-rc.d (exit 101) forbids it.
const POLICY_RC = '/usr/sbin/policy-rc.d';
function withServicesHeld(fn: () => void): void {
  if (existsSync(POLICY_RC)) return fn();
  writeFileSync(POLICY_RC, '#!/bin/sh\n# written by auditstorm setup for the duration of an apt-get install\nexit 101\n', { mode: 0o755 });
  try {
    fn();
  } finally {
    rmSync(POLICY_RC, { force: true });
  }
}

export function setup(log: (line: string) => void, opts: SetupOptions = {}): void {
  if (process.getuid?.() !== 0) {
    throw new SetupError('auditstorm needs root: kernel audit, cgroups and /dev/kmsg are root-only. Run it as root on a VM with kernel audit.');
  }
  const packages = missingPackages(opts);
  if (packages.length) {
    if (!has('apt-get')) {
      throw new SetupError(`missing Debian package(s) ${packages.join(', ')} and no apt-get here: install them with your package manager`);
    }
    log(`installing Debian package(s): ${packages.join(', ')} (apt-get; the auditd service is not started)`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    try {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      withServicesHeld(() =>
        execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env }));
    } catch (err) {
      throw new SetupError(`apt-get install ${packages.join(' ')} failed: ${(err as Error).message}`);
    }
    const still = missingPackages(opts);
    if (still.length) throw new SetupError(`after apt-get, still missing: ${still.join(', ')}`);
  }
  const native = packageFile('auditd/native/build/Release/audit_socket.node');
  if (!existsSync(native)) {
    log('building the native audit socket (node-gyp)');
    try {
      execFileSync('npm', ['run', 'install'], { stdio: 'inherit', cwd: PACKAGE_ROOT });
    } catch (err) {
      throw new SetupError(`building auditd/native failed (needs python3, make, g++): ${(err as Error).message}`);
    }
  }
  buildSlowfs(log);
}
