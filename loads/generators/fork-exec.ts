// fork-exec: child_process.spawnSync of /bin/true. Audited under execve-storm.rules: the clone
// that makes the child (parent side) and the child's execve: 2 per op.
import { spawnSync } from 'node:child_process';
import { runGenerator } from './common.ts';

await runGenerator('fork-exec', (ctx) => {
  const { command } = ctx.config.options;
  return {
    op() {
      ctx.audited += 2;
      const r = spawnSync(command, [], { stdio: 'ignore' });
      if (r.error) throw r.error;
      if (r.status !== 0) throw new Error(`${command} exited with ${r.status ?? r.signal}`);
    },
  };
});
