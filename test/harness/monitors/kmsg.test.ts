// Parsing kernel messages into events (lines as the 6.x kernel prints them), and the real
// device: open, skip the backlog, read new records.
import t from 'tap';
import { KmsgParser, KmsgMonitor, parseKmsgRecord, type KmsgEvent } from '../../../harness/monitors/kmsg.ts';

const rec = (msg: string, seq = 1) => parseKmsgRecord(`4,${seq},720712803,-;${msg}\n SUBSYSTEM=x\n`)!;

t.test('record framing', async (t) => {
  const r = parseKmsgRecord('6,1234,5678901,-,caller=T12;hello world\n')!;
  t.same(r, { priority: 6, seq: 1234, monoUs: 5678901, message: 'hello world' });
  t.equal(parseKmsgRecord('garbage'), null);
});

t.test('audit messages', async (t) => {
  const p = new KmsgParser();
  t.match(p.parse(rec('audit: backlog limit exceeded')), { kind: 'backlog-limit' });
  t.match(p.parse(rec('audit: rate limit exceeded')), { kind: 'rate-limit' });
  t.match(p.parse(rec('audit: audit_lost=17 audit_rate_limit=0 audit_backlog_limit=64')),
    { kind: 'lost', lost: 17, rateLimit: 0, backlogLimit: 64 });
  t.match(p.parse(rec('audit: kauditd hold queue overflow')), { kind: 'hold-queue-overflow' });
  t.match(p.parse(rec('audit: kauditd retry queue overflow')), { kind: 'retry-queue-overflow' });
  t.match(p.parse(rec('audit_log_lost: 123 callbacks suppressed')), { kind: 'suppressed', source: 'audit_log_lost', count: 123 });
  t.equal(p.parse(rec('audit: type=1300 audit(1795544069.346:48): arch=c000003e syscall=46')), null, 'records printed to kmsg are not events');
  t.equal(p.parse(rec('eth0: link up')), null);
});

t.test('OOM kill in a memory cgroup: constraint line then victim line', async (t) => {
  const p = new KmsgParser();
  t.equal(p.parse(rec('grower invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0')), null);
  t.equal(p.parse(rec('oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/auditstorm-x,task_memcg=/auditstorm-x,task=bystander-1,pid=9474,uid=0')), null);
  const e = p.parse(rec('Memory cgroup out of memory: Killed process 9474 (bystander-1) total-vm:1115676kB, anon-rss:97180kB, file-rss:35864kB, shmem-rss:0kB, UID:0 pgtables:680kB oom_score_adj:1000'));
  t.match(e, {
    kind: 'oom-kill', pid: 9474, name: 'bystander-1', memcg: '/auditstorm-x', constraint: 'CONSTRAINT_MEMCG',
    cgroupOom: true, anonRssKiB: 97180, oomScoreAdj: 1000,
  });
});

t.test('global OOM kill, name with spaces and parentheses', async (t) => {
  const p = new KmsgParser();
  p.parse(rec('oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=a (b),c,pid=77,uid=0'));
  const e = p.parse(rec('Out of memory: Killed process 77 (a (b),c) total-vm:10kB, anon-rss:5kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0')) as Extract<KmsgEvent, { kind: 'oom-kill' }>;
  t.equal(e.pid, 77);
  t.equal(e.name, 'a (b),c');
  t.equal(e.cgroupOom, false);
  t.equal(e.memcg, '/');
});

t.test('the real /dev/kmsg: opening skips old records, new ones arrive', async (t) => {
  const m = KmsgMonitor.open();
  t.teardown(() => m.close());
  t.ok(m.recordsRead > 0, `skipped ${m.recordsRead} existing records`);
  const before = m.recordsRead;
  m.poll();
  t.ok(m.recordsRead - before < 50, 'nothing old is re-read');
});
