// tcp: connect to a listener on 127.0.0.1 in the same process, close at once. Audited: the
// connect (whatever its result) and each successful accept4. libuv also calls accept4 until it
// gets EAGAIN; those failures are not counted, so the rule must audit accepts with success=1.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { runGenerator } from './common.ts';

await runGenerator('tcp', async (ctx) => {
  let connected = 0;
  let accepted = 0;
  const server = createServer((s: Socket) => {
    accepted++;
    ctx.audited++;
    s.on('error', () => {});
    s.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    concurrency: ctx.config.options.concurrency,
    opAsync: () => new Promise<void>((resolve, reject) => {
      const sock = connect({ port, host: '127.0.0.1' });
      sock.once('connect', () => {
        connected++;
        ctx.audited++;
        sock.destroy();
        resolve();
      });
      sock.once('error', (err: NodeJS.ErrnoException) => {
        if (err.syscall === 'connect') ctx.audited++;
        sock.destroy();
        reject(err);
      });
    }),
    async finish() {
      // every established connection is in the accept queue: wait until the server took it
      const deadline = Date.now() + 5000;
      while (accepted < connected && Date.now() < deadline) await sleep(5);
      server.close();
      if (accepted < connected) throw new Error(`${connected - accepted} connections were never accepted`);
    },
  };
});
