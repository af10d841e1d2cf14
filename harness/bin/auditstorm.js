#!/usr/bin/env node
// The `auditstorm` command: runs the built JavaScript of harness/cli/main.ts (npm install builds it).
import { builtEntry } from '../../lib/built-entry.mjs';

const { main } = await builtEntry('harness/cli/main.js', 'auditstorm');
main(process.argv);
