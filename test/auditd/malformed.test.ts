// Garbage on the daemon's own netlink socket (run under the dev lock):
//   flock /run/lock/auditstorm-dev.lock npx tap test/auditd/malformed.test.ts
// Another root process can unicast anything to the registered daemon's netlink port. tsauditd must
// count it (malformed.foreign), say so, write none of it, and keep logging the kernel's records.
// The datagrams are sent from python3 (Node has no AF_NETLINK socket of its own; the native
// socket only talks to the kernel).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import {
  addOpenatRule, ausearchCount, enableAudit, ensureUnregistered, randomAuid, runLoad, sleep, startDaemon,
  status, tempDir, writeConf,
} from './helpers/kernel-env.ts';

t.before(ensureUnregistered);

// short (8 bytes), a header claiming 1 MiB, a fake SYSCALL record, an unknown type, a 60 KiB blob
const SENDER = `
import socket, struct, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)  # NETLINK_AUDIT
s.bind((0, 0))
def nl(t, payload, length=None):
    return struct.pack('=IHHII', length if length is not None else 16 + len(payload), t, 0, 1, 0) + payload
msgs = [b'\\x01' * 8, nl(1300, b'audit(1.000:1): fake', 1 << 20), nl(1300, b'audit(1.000:2): arch=c000003e syscall=257 key="forged"'),
        nl(42, b'x' * 100), nl(1307, b'A' * 60000)]
for m in msgs:
    s.sendto(m, (port, 0))
print(len(msgs))
`;

t.test('datagrams from another process: counted as foreign, not written, the daemon keeps logging', async (t) => {
  const dir = tempDir(t, 'tsauditd-garbage-');
  const auid = randomAuid();
  const key = `ts_garbage_${auid}`;
  await enableAudit(t, { backlogLimit: 8192, backlogWaitMs: 1000 });
  await addOpenatRule(t, auid, key);
  writeConf(dir, { flush: 'incremental_async', max_log_file: 0, max_log_file_action: 'ignore', oom_score_adj: 'keep' });
  const d = await startDaemon(t, dir);
  const port = Number(/netlink port (\d+)/.exec(d.stderr())?.[1]);
  t.ok(port > 0, `daemon's netlink port ${port}`);

  const rounds = 20;
  let sent = 0;
  const t0 = Date.now();
  for (let i = 0; i < rounds; i++) {
    const r = await execa('python3', ['-c', SENDER, String(port)]);
    sent += Number(r.stdout.trim());
  }
  const end = Date.now() + 5000;
  while (d.stats().malformed.foreign < sent && Date.now() < end) await sleep(50);
  const s1 = d.stats();
  t.equal(s1.malformed.foreign, sent, `all ${sent} forged datagrams counted as foreign`);
  t.equal(s1.dropped.malformed, sent, 'and in dropped.malformed');
  t.equal(s1.state, 'running', 'still running');
  t.match(d.stderr(), /malformed netlink data \(foreign\)/, 'said so on stderr');
  const warnings = (d.stderr().match(/malformed netlink data/g) ?? []).length;
  const secs = (Date.now() - t0) / 1000;
  t.ok(warnings <= Math.ceil(secs) + 1, `rate-limited: ${warnings} warnings for ${sent} datagrams in ${secs.toFixed(1)} s (at most one a second)`);

  await runLoad(auid, 1000);
  let last = -1;
  for (let i = 0; i < 50 && d.stats().received !== last; i++) { last = d.stats().received; await sleep(150); }
  t.equal(await d.stop(), 0, 'exit 0');
  const log = join(dir, 'audit.log');
  const found = await ausearchCount([log], key);
  t.equal(found.count, 1000, 'the kernel records after the garbage are all in the log');
  t.notMatch(readFileSync(log, 'utf8'), /forged|fake|AAAA/, 'none of the forged data reached the log');
  t.equal((await status()).pid, 0, 'unregistered');
});
