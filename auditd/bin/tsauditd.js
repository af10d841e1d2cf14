#!/usr/bin/env node
// The `tsauditd` daemon: runs the built JavaScript of auditd/main.ts (npm install builds it).
import { builtEntry } from '../../lib/built-entry.mjs';

const { main } = await builtEntry('auditd/main.js', 'tsauditd');
const code = await main(process.argv.slice(2));
process.exit(code);
