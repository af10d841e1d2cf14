// stat: fs.statSync of a scratch file. One statx per op (libuv's stat on Linux >= 4.11).
import { statSync } from 'node:fs';
import { runGenerator, scratchFiles } from './common.ts';

await runGenerator('stat', (ctx) => {
  const files = scratchFiles(ctx, 'stat');
  return {
    op() {
      const path = files.pick();
      ctx.audited++;
      statSync(path);
    },
  };
});
