// After node-gyp: put tsauditd's native addon where the built loader (dist/auditd/native/
// audit-socket.js) requires it, ./build/Release/ beside itself, as in the source tree. The addon
// is built on every install (it is machine code); the JavaScript may come from the tarball.
// Run by `npm install` (after node-gyp) and `npm run build`; without an addon it says so and
// leaves the loader to explain when tsauditd starts.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = new URL('../auditd/native/build/Release/audit_socket.node', import.meta.url);
const dir = new URL('../dist/auditd/native/build/Release/', import.meta.url);
if (!existsSync(from)) {
  process.stderr.write(`copy-native: ${fileURLToPath(from)} is not built yet (npm install builds it); not copied\n`);
} else {
  mkdirSync(dir, { recursive: true });
  copyFileSync(from, new URL('audit_socket.node', dir));
}
