// Worker entry: a worker starts a fresh module graph without the TypeScript loader (Node 20
// does not apply `--import` from a Worker's execArgv before its entry module), so register tsx
// here, then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./input-worker.ts');
