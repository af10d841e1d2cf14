// tsauditd end to end on the real kernel (run under the dev lock):
//   flock /run/lock/auditstorm-dev.lock npx tap test/auditd/daemon.test.ts
import t from 'tap';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import {
  addOpenatRule, ausearchCount, BIN, enableAudit, ensureUnregistered, randomAuid, runLoad, sleep,
  startDaemon, status, tempDir, writeConf, LOAD, LOAD_ENV,
} from './helpers/kernel-env.ts';

const logLines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

/** The log as files of `lines` lines each (the last may be shorter), in order. */
function splitLog(log: string, dir: string, lines: number): string[] {
  mkdirSync(dir, { recursive: true });
  const all = logLines(log);
  const out: string[] = [];
  for (let i = 0; i < all.length; i += lines) {
    const f = join(dir, `part-${String(out.length).padStart(3, '0')}.log`);
    writeFileSync(f, `${all.slice(i, i + lines).join('\n')}\n`);
    out.push(f);
  }
  return out;
}

t.before(ensureUnregistered);

t.test('bad config: exit 2 with file:line and the reason, nothing registered', async (t) => {
  const dir = tempDir(t, 'tsauditd-badconf-');
  writeConf(dir, { flush: 'incremental_async', queue_overflow: 'sometimes' });
  const r = await execa(process.execPath, [BIN, '-n', '-c', dir], { reject: false });
  t.equal(r.exitCode, 2);
  t.match(r.stderr, `${join(dir, 'auditd.conf')}:2: queue_overflow: "sometimes" is not one of block | drop | unbounded`);
  t.equal((await status()).pid, 0);
});

t.test('N audited openat calls are in the log exactly N times, nothing lost', async (t) => {
  const dir = tempDir(t, 'tsauditd-exact-');
  const auid = randomAuid();
  const key = `ts_exact_${auid}`;
  const N = 25000;
  await enableAudit(t, { backlogLimit: 8192, backlogWaitMs: 1000 });
  await addOpenatRule(t, auid, key);
  writeConf(dir, { flush: 'incremental_async', freq: 50, max_log_file: 0, max_log_file_action: 'ignore', queue_hwm: 8192, oom_score_adj: 'keep' });
  const d = await startDaemon(t, dir);
  const lost0 = (await status()).lost;
  const t0 = Date.now();
  await Promise.all([runLoad(auid, N), runLoad(auid, N)]);
  // the daemon has them once nothing is queued and the count stops moving
  let last = -1;
  for (let i = 0; i < 100; i++) {
    const s = d.stats();
    if (s.received === last && s.queue.records === 0) break;
    last = s.received;
    await sleep(100);
  }
  const secs = (Date.now() - t0) / 1000;
  t.comment(`received ${last} records for ${2 * N} events in ${secs.toFixed(2)} s (${Math.round((2 * N) / secs)} events/s incl. settle)`);
  t.equal(await d.stop(), 0, 'SIGTERM: exit 0');
  const s = JSON.parse(readFileSync(join(dir, 'tsauditd.stats.json'), 'utf8'));
  t.equal(s.queue.records, 0, 'nothing left queued');
  t.equal((await status()).lost, lost0, 'kernel lost counter unchanged');
  t.equal((await status()).pid, 0, 'unregistered');
  const log = join(dir, 'audit.log');
  // auparse keeps every event of the last end_of_event_timeout (2 s) open and searches them for
  // each record: this log holds 50k events within about 1.5 s, which made ausearch and aureport
  // take ~50 s each over the whole file (quadratic; the same log spread over 20 s reads in
  // ~1 s). They read it in pieces of CHUNK lines instead: every line is still parsed, and each
  // SYSCALL line (which carries the key) is in exactly one piece, so the count is the same.
  const chunks = splitLog(log, join(dir, 'chunks'), 25_000);
  const found = await ausearchCount(chunks, key);
  const reports = await Promise.all(chunks.map((c) => execa('aureport', ['-if', c, '--summary'], { reject: false })));
  const rep = { exitCode: Math.max(...reports.map((r) => r.exitCode ?? 1)), stderr: reports.map((r) => r.stderr).join('') };
  t.comment(`ausearch found ${found.count}; SYSCALL lines with the key: ${logLines(log).filter((l) => l.startsWith('type=SYSCALL ') && l.includes(`key="${key}"`)).length}`);
  t.equal(found.count, 2 * N, 'ausearch -k finds every syscall once');
  t.equal(found.stderr, '', 'ausearch reports no error');
  t.equal(logLines(log).length, s.written, 'every written record is one log line');
  t.equal(s.written, s.received - s.receivedEoe - s.dropped.queue_full + s.daemonRecords, 'all accepted records written (EOE excluded)');
  t.equal(rep.exitCode, 0, 'aureport parses the log');
  t.notMatch(rep.stderr, /error|malformed/i);
});

t.test('SIGTERM during heavy load loses nothing the daemon accepted', async (t) => {
  const dir = tempDir(t, 'tsauditd-term-');
  const auid = randomAuid();
  const key = `ts_term_${auid}`;
  await enableAudit(t, { backlogLimit: 8192, backlogWaitMs: 1000 });
  await addOpenatRule(t, auid, key);
  writeConf(dir, { flush: 'incremental_async', max_log_file: 0, max_log_file_action: 'ignore', oom_score_adj: 'keep' });
  const d = await startDaemon(t, dir);
  const load = execa('env', ['-u', 'NODE_OPTIONS', process.execPath, LOAD, String(auid), '400000'], { reject: false, env: LOAD_ENV, extendEnv: false });
  t.teardown(() => { load.kill('SIGKILL'); });
  await sleep(1500);
  const mid = d.stats();
  t.ok(mid.received > 10000, `load is flowing (${mid.received} records in)`);
  t.equal(await d.stop(), 0, 'exit 0');
  load.kill('SIGKILL');
  const s = JSON.parse(readFileSync(join(dir, 'tsauditd.stats.json'), 'utf8'));
  t.equal(s.state, 'stopped');
  t.equal(s.queue.records, 0, 'queue empty at exit');
  t.equal(s.processed, s.received - s.dropped.queue_full, 'every accepted record went to the output side');
  t.equal(s.dropped.queue_full, 0);
  const log = join(dir, 'audit.log');
  t.equal(logLines(log).length, s.written, 'the log holds every written record');
  t.equal(s.written, s.received - s.receivedEoe + s.daemonRecords, 'accepted = written (EOE excluded)');
  t.comment(`accepted ${s.received} records before SIGTERM; ${s.written} lines written`);
  t.equal((await status()).pid, 0, 'unregistered');
  t.match(d.stderr(), /stopped: received \d+/);
});

// One short datagram from another process: counted as foreign by the input thread, which posts
// no batch for it (the path on which only its 'changed' message can wake the stats timer).
const FOREIGN = `
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
s.bind((0, 0))
s.sendto(b'\\x01' * 8, (int(sys.argv[1]), 0))
`;

t.test('idle: the stats file rests; a foreign datagram and a record each refresh it at once', async (t) => {
  const dir = tempDir(t, 'tsauditd-idle-');
  const auid = randomAuid();
  await enableAudit(t, { backlogLimit: 8192, backlogWaitMs: 1000 });
  await addOpenatRule(t, auid, `ts_idle_${auid}`);
  writeConf(dir, { flush: 'incremental_async', max_log_file: 0, max_log_file_action: 'ignore', oom_score_adj: 'keep' });
  const d = await startDaemon(t, dir);
  const file = join(dir, 'tsauditd.stats.json');
  /** until the file has not been rewritten for `quietMs` (the timer sleeps); false after 6 s */
  const restsFor = async (quietMs: number): Promise<boolean> => {
    const end = Date.now() + 6000;
    let m = statSync(file).mtimeMs;
    let since = Date.now();
    while (Date.now() < end) {
      await sleep(100);
      const now = statSync(file).mtimeMs;
      if (now !== m) { m = now; since = Date.now(); } else if (Date.now() - since >= quietMs) return true;
    }
    return false;
  };
  /** ms until `ok(stats)` holds, or -1 after 2 s */
  const within = async (ok: (s: ReturnType<typeof d.stats>) => boolean): Promise<number> => {
    const t0 = Date.now();
    while (Date.now() - t0 < 2000) {
      try { if (ok(d.stats())) return Date.now() - t0; } catch { /* mid-rename */ }
      await sleep(20);
    }
    return -1;
  };
  const port = Number(/netlink port (\d+)/.exec(d.stderr())?.[1]);
  t.ok(port > 0, `daemon's netlink port ${port}`);

  t.ok(await restsFor(1500), 'an idle daemon stops rewriting its stats file (none for 1.5 s)');
  await execa('python3', ['-c', FOREIGN, String(port)]);
  const foreignMs = await within((s) => s.malformed.foreign === 1);
  t.ok(foreignMs >= 0 && foreignMs < 1000, `a foreign datagram (no batch posted) is in the stats file after ${foreignMs} ms`);

  t.ok(await restsFor(1500), 'rests again');
  const before = d.stats().receivedSyscall;
  await runLoad(auid, 5);
  const recordMs = await within((s) => s.receivedSyscall >= before + 5);
  t.ok(recordMs >= 0 && recordMs < 1000, `5 audited calls are in the stats file after ${recordMs} ms`);
  t.equal(await d.stop(), 0, 'exit 0');
  t.equal(d.stats().state, 'stopped', 'the final stats file says stopped');
});
