// Figures in free text, read with their units and kept with their line (pure: no kernel).
import t from 'tap';
import { parseNotes } from '../../../harness/reproduce/notes.ts';

const file = (lines: string[]) => [{ name: 'notes.txt', kind: 'notes' as const, lines, rotation: 0 }];

t.test('rates, latencies, sizes, names, each with its line', async (t) => {
  const n = parseNotes(file([
    'Customer: the box has 8 GiB of RAM',
    'load peaks at about 12k events/s during the backup',
    'iostat: w_await above 200 ms on the log disk',
    'auditd RSS grew to 1.5G before the OOM killer shot mysqld, then httpd',
    'the SIEM client reads recv(65536) then sleeps 50 ms after each recv',
    'the disk takes 2 MB/s at most',
    'Aug 23 10:14:03 web3 auditd[1022]: queue to plugins is full - dropping event',
    'osqueryd worker (19455) stopping: Memory limits exceeded: 240160000',
    'nothing else: 3 retries, 10 s timeout',
  ]));
  t.same(n.hostMemoryBytes.map((f) => [f.value, f.where]), [[8 * 1024 ** 3, 'notes.txt:1']]);
  t.same(n.offeredEventsPerSec.map((f) => [f.value, f.where]), [[12000, 'notes.txt:2']]);
  t.same(n.writeLatencyMs.map((f) => [f.value, f.where]), [[200, 'notes.txt:3']]);
  t.same(n.daemonRssBytes.map((f) => [f.value, f.where]), [[1.5 * 1024 ** 3, 'notes.txt:4']], '1.5G is binary, as ps prints it');
  t.match(n.daemonRssBytes[0].read, /read as GiB/);
  t.same(n.killed.map((f) => f.value), ['mysqld', 'httpd']);
  t.same(n.consumerBytesPerSec.map((f) => [f.value, f.where]), [[Math.round(65536 * 1000 / 50), 'notes.txt:5']]);
  t.same(n.diskBytesPerSec.map((f) => [f.value, f.where]), [[2_000_000, 'notes.txt:6']], 'MB is decimal (units.ts)');
  t.same(n.pluginQueueFull.map((f) => f.where), ['notes.txt:7']);
  t.same(n.memoryLimitHit.map((f) => f.value), [240160000]);
  t.equal(n.writeLatencyMs.length, 1, 'a timeout is not a write latency');
});

t.test('sub-millisecond and second latencies, record rates, drain wording', async (t) => {
  const n = parseNotes(file([
    'fsync on the NFS mount takes 0.25 s',
    'each write to disk takes about 0.4 ms',
    'auditd only manages 900 events/s; the kernel offers 20,000 records/s',
  ]));
  t.same(n.writeLatencyMs.map((f) => f.value), [250, 0.4]);
  t.same(n.drainEventsPerSec.map((f) => f.value), [900]);
  t.same(n.offeredEventsPerSec.map((f) => [f.value, f.records ?? false]), [[20000, true]]);
});
