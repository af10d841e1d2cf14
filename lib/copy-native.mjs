// After node-gyp: put tsauditd's native addon where the built loader (dist/auditd/native/
// audit-socket.js) requires it, ./build/Release/ beside itself, as in the source tree. The addon
// is built on every install (it is machine code); the JavaScript may come from the tarball.
// Run by `npm install` (after node-gyp) and `npm run build`. From `npm run build` (--rebuild-stale)
// it first rebuilds an addon older than its source, so a merged native change cannot leave a
// stale addon behind; without an addon it says so and leaves the loader to explain.
import { copyFileSync, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);
const from = new URL('auditd/native/build/Release/audit_socket.node', root);
const dir = new URL('dist/auditd/native/build/Release/', root);
const sources = ['auditd/native/audit_socket.cc', 'auditd/native/binding.gyp'].map((f) => new URL(f, root));

if (process.argv.includes('--rebuild-stale') && existsSync(from) &&
    sources.some((s) => existsSync(s) && statSync(s).mtimeMs > statSync(from).mtimeMs)) {
  process.stderr.write('copy-native: the native addon is older than its source; rebuilding (node-gyp)\n');
  execFileSync('npx', ['--no-install', 'node-gyp', 'rebuild', '--directory=auditd/native'], { cwd: fileURLToPath(root), stdio: ['ignore', 'ignore', 'inherit'] });
}
if (!existsSync(from)) {
  process.stderr.write(`copy-native: ${fileURLToPath(from)} is not built yet (npm install builds it); not copied\n`);
} else {
  mkdirSync(dir, { recursive: true });
  // copy beside, then rename: a running tsauditd has the old file mapped, and one starting now
  // must never load a half-written one (npm pack runs this build while tests run)
  const tmp = new URL(`audit_socket.node.${process.pid}.tmp`, dir);
  copyFileSync(from, tmp);
  renameSync(tmp, new URL('audit_socket.node', dir));
}
