// stat: fs.statSync of a scratch file. One statx per op (libuv's stat on Linux >= 4.11).
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGenerator } from './common.ts';

await runGenerator('stat', (ctx) => {
  const { scratchDir, options, load = 'stat', processIndex = 0 } = ctx.config;
  const paths = Array.from({ length: options.files }, (_, i) => join(scratchDir, `${load}-${processIndex}-${process.pid}-${i}`));
  for (const p of paths) writeFileSync(p, 'auditstorm scratch\n');
  return {
    op() {
      const path = paths.length === 1 ? paths[0] : paths[ctx.prng.int(0, paths.length - 1)];
      ctx.audited++;
      statSync(path);
    },
  };
});
