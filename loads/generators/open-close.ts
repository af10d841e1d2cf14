// open-close: fs.openSync + fs.closeSync of a scratch file. One openat per op (Node's openSync
// is a single openat(AT_FDCWD, path, O_RDONLY|O_CLOEXEC); checked with strace in the tests).
import { closeSync, openSync } from 'node:fs';
import { runGenerator, scratchFiles } from './common.ts';

await runGenerator('open-close', (ctx) => {
  const files = scratchFiles(ctx, 'open-close');
  return {
    op() {
      const path = files.pick();
      ctx.audited++;
      closeSync(openSync(path, 'r'));
    },
  };
});
