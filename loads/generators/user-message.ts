// user-message: AUDIT_USER-range records (types and text sizes drawn with the seeded PRNG) sent
// through the kernel's audit socket. An op is one message the kernel acknowledged; the kernel
// logs it (when audit is enabled) as one record whatever the rules: counted in auditedSyscalls.
// The text carries a marker `auditstorm-gen=<pid>:<n>` so a log can be matched to the run.
import { AuditControl } from '../../harness/kernel/audit-control.ts';
import { runGenerator } from './common.ts';

await runGenerator('user-message', async (ctx) => {
  const { types, sizes } = ctx.config.options;
  const control = await AuditControl.open();
  const weights = sizes.map((s) => s.weight);
  const filler = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let n = 0;
  return {
    concurrency: 8,
    async opAsync() {
      const type = types[ctx.prng.int(0, types.length - 1)];
      const size = sizes[ctx.prng.weighted(weights)].size;
      const head = `auditstorm-gen=${process.pid}:${n++} `;
      let text = head;
      while (text.length < size) text += filler;
      text = text.slice(0, Math.max(size, 0));
      await control.sendUserMessage(type, text);
      ctx.audited++;
    },
    async finish() {
      control.close();
    },
  };
});
