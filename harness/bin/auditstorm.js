#!/usr/bin/env node
// Runs the TypeScript sources through tsx: no build step, and the sources are what runs.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
main(process.argv);
