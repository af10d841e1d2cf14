#!/usr/bin/env node
// tsauditd entry: registers tsx so the TypeScript sources run as they are (no build step), then
// hands over to auditd/main.ts. The input worker gets tsx through its own execArgv.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../main.ts');
const code = await main(process.argv.slice(2));
process.exit(code);
