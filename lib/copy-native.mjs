// After node-gyp: put tsauditd's native addon where the built loader (dist/auditd/native/
// audit-socket.js) requires it, ./build/Release/ beside itself, as in the source tree. The addon
// is built on every install (it is machine code); the JavaScript may come from the tarball.
import { copyFileSync, mkdirSync } from 'node:fs';

const from = new URL('../auditd/native/build/Release/audit_socket.node', import.meta.url);
const dir = new URL('../dist/auditd/native/build/Release/', import.meta.url);
mkdirSync(dir, { recursive: true });
copyFileSync(from, new URL('audit_socket.node', dir));
