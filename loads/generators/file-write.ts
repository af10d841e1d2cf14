// file-write: in the scratch dir, create a file, write `size` bytes, close, rename it, unlink it.
// Audited under a dir=SCRATCH perm=wa rule: openat(O_CREAT), rename, unlink (3 per op);
// write(2) and close(2) carry no path and are not seen by dir/perm rules.
import { closeSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { runGenerator } from './common.ts';

await runGenerator('file-write', (ctx) => {
  const { scratchDir, options, load = 'file-write', processIndex = 0 } = ctx.config;
  const dir = join(scratchDir, `${load}-${processIndex}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const data = Buffer.alloc(options.size);
  for (let i = 0; i + 4 <= data.length; i += 4) data.writeUInt32LE(ctx.prng.nextUint32(), i);
  let n = 0;
  return {
    op() {
      const tmp = join(dir, `f${n}.tmp`);
      const final = join(dir, `f${n}`);
      n++;
      ctx.audited++;
      const fd = openSync(tmp, 'w');
      try {
        let off = 0;
        while (off < data.length) off += writeSync(fd, data, off);
      } finally {
        closeSync(fd);
      }
      ctx.audited++;
      renameSync(tmp, final);
      ctx.audited++;
      unlinkSync(final);
    },
  };
});
