import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { formatGroups, formatLogBatch, formatLogLine, LOG_FORMAT, MAX_LINE_BYTES, PLUGIN_FORMAT } from '../../auditd/format.ts';
import type { AuditRecord } from '../../auditd/types.ts';
import { openatEvents, T } from '../fixtures/synthetic-records.ts';

const rec = (type: number, text: string): AuditRecord => ({ type, text: Buffer.from(text, 'latin1') });

t.test('a record becomes type=NAME msg=<kernel text>', async (t) => {
  t.equal(
    formatLogLine(rec(1300, 'audit(1717000000.123:42): arch=c000003e syscall=257 key="k"')),
    'type=SYSCALL msg=audit(1717000000.123:42): arch=c000003e syscall=257 key="k"',
  );
  t.equal(formatLogLine(rec(1327, 'audit(1.002:3): proctitle=6C73')), 'type=PROCTITLE msg=audit(1.002:3): proctitle=6C73');
  t.equal(formatLogLine(rec(1100, 'audit(1.002:3): pid=1 uid=0')), 'type=USER_AUTH msg=audit(1.002:3): pid=1 uid=0');
});

t.test('unknown types print as UNKNOWN[n]', async (t) => {
  t.equal(formatLogLine(rec(1599, 'audit(1.000:1): x=1')), 'type=UNKNOWN[1599] msg=audit(1.000:1): x=1');
  t.equal(formatLogLine(rec(65535, 'audit(1.000:1): x=1')), 'type=UNKNOWN[65535] msg=audit(1.000:1): x=1');
});

t.test('EOE is not written to the log but is sent to plugins', async (t) => {
  const batch = openatEvents(3);
  t.equal(batch.length, 15);
  const log = formatLogBatch(batch);
  t.equal(log.lines, 12);
  t.notMatch(log.buf.toString(), /type=EOE/);
  t.equal(formatLogLine(rec(T.EOE, 'audit(1.000:1): ')), null);
  const plug = formatGroups([batch], PLUGIN_FORMAT, undefined, undefined, true);
  t.equal(plug.lines, 15);
  // audispd does not trim: the EOE line keeps the kernel's trailing space.
  t.match(plug.buf.toString(), /\ntype=EOE msg=audit\(1717000000\.001:1\): \n/);
  t.equal(plug.ends![14], plug.buf.length);
});

t.test('newlines become spaces, NUL ends the text, one trailing space is trimmed, long lines are capped', async (t) => {
  t.equal(formatLogLine(rec(1300, 'audit(1.000:1): a=1\nb=2\n')), 'type=SYSCALL msg=audit(1.000:1): a=1 b=2');
  t.equal(formatLogLine(rec(1300, 'audit(1.000:1): a=1\0garbage')), 'type=SYSCALL msg=audit(1.000:1): a=1');
  t.equal(formatLogLine(rec(1300, 'audit(1.000:1): a=1 ')), 'type=SYSCALL msg=audit(1.000:1): a=1');
  const long = formatLogLine(rec(1309, 'audit(1.000:1): a0=' + 'A'.repeat(20000)))!;
  t.equal(long.length, MAX_LINE_BYTES);
  const { buf, lines } = formatGroups([[rec(1300, 'audit(1.000:1): a=1\nb')], [rec(1307, 'audit(1.000:1): cwd="/"')]], LOG_FORMAT);
  t.equal(lines, 2);
  t.equal(buf.toString(), 'type=SYSCALL msg=audit(1.000:1): a=1 b\ntype=CWD msg=audit(1.000:1): cwd="/"\n');
});

t.test('groups report where each ends and how many lines it has', async (t) => {
  const ends: number[] = [];
  const lines: number[] = [];
  const a = openatEvents(2, 1);
  const b = openatEvents(1, 3);
  const { buf } = formatGroups([a, b], LOG_FORMAT, ends, lines);
  t.same(lines, [8, 4]);
  t.equal(ends[1], buf.length);
  t.equal(buf.subarray(0, ends[0]).toString().split('\n').length - 1, 8);
});

t.test("Debian's ausearch and aureport parse what we write", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fmt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.log');
  const bufs: Buffer[] = [];
  // 700 events with key A, 300 with key B, interleaved, plus an unknown-type record.
  for (let i = 0; i < 1000; i++) {
    bufs.push(formatLogBatch(openatEvents(1, i + 1, { key: i % 10 < 7 ? 'stormA' : 'stormB', sec: 1717000000 + Math.floor(i / 100) })).buf);
  }
  bufs.push(formatLogBatch([rec(1599, 'audit(1717000100.000:5000): some=thing')]).buf);
  // The daemon's own loss notice, as the core writes it while dropping.
  const notice = rec(1209, 'audit(1717000100.500:5001): op=queue-overflow dropped=123 res=failed');
  t.equal(formatLogLine(notice), 'type=DAEMON_ERR msg=audit(1717000100.500:5001): op=queue-overflow dropped=123 res=failed');
  bufs.push(formatLogBatch([notice]).buf);
  writeFileSync(file, Buffer.concat(bufs));
  t.equal(readFileSync(file, 'utf8').split('\n').length - 1, 4002);

  const countEvents = async (key: string): Promise<number> => {
    const r = await execa('ausearch', ['-if', file, '-k', key, '--raw'], { reject: false });
    t.equal(r.stderr, '', `ausearch -k ${key}: no error`);
    return r.stdout.split('\n').filter((l) => l.startsWith('type=SYSCALL')).length;
  };
  t.equal(await countEvents('stormA'), 700);
  t.equal(await countEvents('stormB'), 300);
  const none = await execa('ausearch', ['-if', file, '-k', 'absent'], { reject: false });
  t.equal(none.exitCode, 1, 'ausearch finds nothing for an absent key (the count can fail)');

  const all = await execa('ausearch', ['-if', file, '--raw'], { reject: false });
  t.equal(all.exitCode, 0);
  t.equal(all.stderr, '');
  t.equal(all.stdout.split('\n').filter((l) => l.startsWith('type=')).length, 4002, 'ausearch sees every line');

  const keys = await execa('aureport', ['-if', file, '--key', '--summary']);
  t.equal(keys.stderr, '');
  t.match(keys.stdout, /^700\s+stormA$/m);
  t.match(keys.stdout, /^300\s+stormB$/m);
  const summary = await execa('aureport', ['-if', file]);
  t.equal(summary.stderr, '');
  t.match(summary.stdout, /Number of events: 1002/);
});
