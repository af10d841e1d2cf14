// open-close: fs.openSync + fs.closeSync of a scratch file. One openat per op (Node's openSync
// is a single openat(AT_FDCWD, path, O_RDONLY|O_CLOEXEC); checked with strace in the tests).
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGenerator } from './common.ts';

await runGenerator('open-close', (ctx) => {
  const { scratchDir, options, load = 'open-close', processIndex = 0 } = ctx.config;
  const paths = Array.from({ length: options.files }, (_, i) => join(scratchDir, `${load}-${processIndex}-${process.pid}-${i}`));
  for (const p of paths) writeFileSync(p, 'auditstorm scratch\n');
  return {
    op() {
      const path = paths.length === 1 ? paths[0] : paths[ctx.prng.int(0, paths.length - 1)];
      ctx.audited++;
      closeSync(openSync(path, 'r'));
    },
  };
});
