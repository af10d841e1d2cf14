// http: a node:http server on 127.0.0.1 driven by autocannon, both in this (audited) process.
// An op is one request the server answered. Audited: per connection one connect (autocannon)
// and one successful accept4 (server); keep-alive connections carry many requests.
// autocannon resolves even when nothing answered, so its counts are checked against the server's.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { runGenerator } from './common.ts';

await runGenerator('http', async (ctx) => {
  const { connections, pipelining, body: bodySize } = ctx.config.options;
  const body = Buffer.alloc(bodySize, 'a');
  let served = 0;
  let accepted = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    res.end(body, () => { served++; });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s: Socket) => {
    accepted++;
    ctx.audited += 2; // its connect (autocannon) and its accept4 (here)
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;

  const runSlice = async (opts: { durationSec?: number; amount?: number; rate?: number }, stopped: Promise<void>) => {
    const instance = autocannon({
      url, connections, pipelining,
      ...(opts.amount !== undefined ? { amount: opts.amount } : { duration: opts.durationSec ?? 1 }),
      ...(opts.rate !== undefined ? { overallRate: Math.max(1, Math.round(opts.rate)) } : {}),
    });
    const done = instance as unknown as Promise<autocannon.Result>;
    // autocannon's returned instance is also a promise-like when no callback is given
    void stopped.then(() => (instance as unknown as { stop(): void }).stop());
    const result = await done;
    return result;
  };

  let acTotal = 0;
  let acErrors = 0;
  return {
    opsOverride: () => served,
    async drive({ pacer, startMs, stopped, waitStop }) {
      const { durationMs, count, shape } = ctx.config;
      const steady = shape.kind === 'steady';
      if (count !== null) {
        const rate = pacer.rate(performance.now());
        const r = await runSlice({ amount: count, rate: rate === 'max' ? undefined : rate }, waitStop);
        acTotal += r.requests.total; acErrors += r.errors + r.timeouts + r.non2xx;
      } else if (steady && durationMs !== null) {
        const rate = pacer.rate(performance.now());
        const r = await runSlice({ durationSec: durationMs / 1000, rate: rate === 'max' ? undefined : rate }, waitStop);
        acTotal += r.requests.total; acErrors += r.errors + r.timeouts + r.non2xx;
      } else {
        // shaped (or open-ended): one-second slices at the shape's rate for that second
        while (!stopped() && (durationMs === null || performance.now() - startMs < durationMs)) {
          const rate = pacer.rate(performance.now() + 500);
          const left = durationMs === null ? 1000 : Math.min(1000, durationMs - (performance.now() - startMs));
          if (left < 50) break;
          const r = await runSlice({ durationSec: left / 1000, rate: rate === 'max' ? undefined : rate }, waitStop);
          acTotal += r.requests.total; acErrors += r.errors + r.timeouts + r.non2xx;
        }
      }
      if (acErrors > 0) throw new Error(`autocannon reported ${acErrors} errors/timeouts/non-2xx responses`);
    },
    async finish() {
      // let the last responses and accepts land, then check the two sides agree
      await sleep(50);
      server.closeAllConnections();
      server.close();
      if (served === 0) throw new Error(`no request reached the server at ${url} (autocannon counted ${acTotal})`);
      if (acTotal > served) throw new Error(`autocannon counted ${acTotal} requests, the server answered ${served}`);
      if (accepted === 0) throw new Error('no connection was accepted');
    },
  };
});
