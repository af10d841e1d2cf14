// log_format = ENRICHED against Debian's auditd 3.0.9. The fixture is a log auditd wrote with
// log_format = ENRICHED on the real kernel (test/fixtures/enriched/README.md says how it was
// made): for every line, tsauditd formats the RAW part as a record and must write the same line,
// byte for byte. The names are those of the capture machine (fixture passwd and group files).
// No kernel: a pure-logic test.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Enricher, GS, ipv6Text, sockaddrText } from '../../auditd/enrich.ts';
import { fileIdNames, parseIdFile, type IdNameSource } from '../../auditd/id-names.ts';
import { formatGroups, formatLogLine, formatsFor, LOG_FORMAT } from '../../auditd/format.ts';
import { msgTypeByName } from '../../harness/rules/tables.ts';
import type { AuditRecord } from '../../auditd/types.ts';

const FIX = fileURLToPath(new URL('../fixtures/enriched/', import.meta.url));
const fixtureNames = (): IdNameSource => fileIdNames(join(FIX, 'passwd'), join(FIX, 'group'));
const reference = (): string[] => readFileSync(join(FIX, 'auditd-3.0.9.log'), 'latin1').split('\n').filter(Boolean);

/** The record an ENRICHED (or RAW) log line was made from: its type and kernel text. */
function recordOf(line: string): AuditRecord {
  // the raw part ends at the GS before the interpretations: the last one (the fixture's one
  // line with a GS in its text, a user message, has two)
  const gs = line.lastIndexOf(GS);
  const raw = gs < 0 ? line : line.slice(0, gs);
  const m = /^type=(\S+) msg=(.*)$/s.exec(raw);
  if (!m) throw new Error(`not a log line: ${raw.slice(0, 80)}`);
  const unknown = /^UNKNOWN\[(\d+)\]$/.exec(m[1]);
  const type = unknown ? Number(unknown[1]) : msgTypeByName(m[1]);
  if (type === undefined) throw new Error(`unknown type ${m[1]}`);
  return { type, text: Buffer.from(m[2], 'latin1') };
}

/** Lines of `want` that tsauditd, enriching their RAW parts with `names`, writes differently. */
function mismatches(want: string[], names: IdNameSource): Array<{ i: number; want: string; got: string }> {
  const fmt = formatsFor(new Enricher({ names })).log;
  const out: Array<{ i: number; want: string; got: string }> = [];
  want.forEach((line, i) => {
    const got = formatLogLine(recordOf(line), fmt) ?? '';
    if (got !== line) out.push({ i, want: line, got });
  });
  return out;
}

const suffixOf = (line: string): string => (line.includes(GS) ? line.slice(line.lastIndexOf(GS) + 1) : '');

t.test("every line of auditd's ENRICHED log is the line tsauditd writes", async (t) => {
  const lines = reference();
  const bad = mismatches(lines, fixtureNames());
  for (const b of bad.slice(0, 5)) t.comment(`line ${b.i + 1}\n  auditd:   ${JSON.stringify(b.want)}\n  tsauditd: ${JSON.stringify(b.got)}`);
  t.equal(bad.length, 0, `all ${lines.length} lines identical`);
  // the fixture covers what it claims to
  const types = new Set(lines.map((l) => l.slice(5, l.indexOf(' '))));
  for (const ty of ['DAEMON_START', 'DAEMON_END', 'CONFIG_CHANGE', 'LOGIN', 'SYSCALL', 'PATH', 'SOCKADDR', 'PROCTITLE', 'CWD', 'USER', 'USER_AVC', 'ADD_GROUP', 'TRUSTED_APP']) {
    t.ok(types.has(ty), `fixture has ${ty}`);
  }
  const all = lines.map(suffixOf).join(' ');
  for (const piece of ['ARCH=x86_64', 'SYSCALL=openat', 'SYSCALL=connect', 'SYSCALL=bind', 'ARCH=i386', 'SYSCALL=socketcall(connect)', 'SYSCALL=ipc(shmget)',
    'saddr_fam=inet laddr=127.0.0.1', 'saddr_fam=inet6 laddr=::1', 'saddr_fam=local path=', 'saddr_fam=netlink', 'EUID="daemon"', 'OUID="daemon"', 'AUID="unset"', 'unknown(']) {
    t.ok(all.includes(piece), `fixture has ${piece}`);
  }
  t.ok(lines.some((l) => !l.includes(GS)), 'and lines with nothing to interpret (no GS)');
  t.ok(lines.some((l) => l.length >= 8969), 'and a line at the length limit');
});

t.test('a wrong interpretation is caught, line by line', async (t) => {
  const lines = reference();
  // a name source that lies about uid 1 only: exactly the lines whose suffix names uid 1 differ
  const honest = fixtureNames();
  const lying: IdNameSource = { ...honest, user: (uid) => (uid === 1 ? 'daemon2' : honest.user(uid)) };
  // uid-kind fields naming daemon; ID is a gid in ADD_GROUP (typetab.h and its corrections)
  const uidField = /(^| )(AUID|UID|EUID|SUID|FSUID|OUID|OAUID|OLD-AUID|IUID|ID|INODE_UID|SAUID|OBJ_UID)="daemon"/;
  const expected = lines.filter((l) => !l.startsWith('type=ADD_GROUP ') && uidField.test(suffixOf(l))).length;
  t.ok(expected > 3, `${expected} lines name uid 1`);
  t.equal(mismatches(lines, lying).length, expected, 'each line naming uid 1 differs, no other');
  // one field changed in one line of the reference: one mismatch
  const i = lines.findIndex((l) => suffixOf(l).includes('SYSCALL=openat'));
  const altered = lines.slice();
  altered[i] = altered[i].replace('SYSCALL=openat', 'SYSCALL=open');
  const bad = mismatches(altered, fixtureNames());
  t.same(bad.map((b) => b.i), [i], 'exactly the altered line');
});

t.test('names: first line wins, files re-read when they change, bounded', async (t) => {
  t.same([...parseIdFile('a:x:5:5::/:/bin/sh\nb:x:5:5::/:/bin/sh\nbad line\nc:x:notanumber:1\nd:x:4294967295:1\n\ne::7:')],
    [[5, 'a'], [4294967295, 'd'], [7, 'e']]);
  const dir = mkdtempSync(join(tmpdir(), 'enrich-names-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const passwd = join(dir, 'passwd');
  const group = join(dir, 'group');
  writeFileSync(passwd, 'alice:x:1000:1000::/home/alice:/bin/sh\n');
  writeFileSync(group, 'staff:x:50:\n');
  let now = 0;
  const names = fileIdNames(passwd, group, () => now);
  const e = new Enricher({ names });
  const rec = (): string => formatLogLine({ type: 1005, text: Buffer.from("audit(1.000:1): pid=1 uid=1000 auid=1001 ses=1 msg='gid=50 op=x'") }, formatsFor(e).log)!;
  t.equal(suffixOf(rec()), 'UID="alice" AUID="unknown(1001)" GID="staff"');
  writeFileSync(passwd, 'alice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n');
  now = 500;
  t.equal(suffixOf(rec()), 'UID="alice" AUID="unknown(1001)" GID="staff"', 'not looked at again within a second');
  now = 1500;
  t.equal(suffixOf(rec()), 'UID="alice" AUID="bob" GID="staff"', 'a changed file is read again');
  writeFileSync(passwd, 'carol:x:1001:1001::/home/bob:/bin/sh\n');
  // an account record (USER_MGMT) makes the next lookup look at the files at once
  formatLogLine({ type: 1126, text: Buffer.from("audit(1.000:2): pid=1 uid=0 auid=0 ses=1 msg='op=changing-name id=1001 res=success'") }, formatsFor(e).log);
  t.equal(suffixOf(rec()), 'UID="unknown(1000)" AUID="carol" GID="staff"', 'after USER_MGMT, without waiting');
  rmSync(group);
  now = 3000;
  t.equal(suffixOf(rec()), 'UID="unknown(1000)" AUID="carol" GID="unknown(50)"', 'a missing file names nothing');
  // the encoded-value cache is bounded
  const small = new Enricher({ names: { user: (u) => `u${u}`, group: () => null, accountsChanged: () => {}, version: () => 0 }, cacheEntries: 4 });
  for (let u = 1; u < 50; u++) {
    const out = formatLogLine({ type: 1005, text: Buffer.from(`audit(1.000:1): pid=1 uid=${u}`) }, formatsFor(small).log)!;
    if (suffixOf(out) !== `UID="u${u}"`) t.fail(`uid ${u}: ${out}`);
  }
  t.equal((small as unknown as { uidCache: Map<number, string> }).uidCache.size <= 4, true, 'cache stays within its bound');
});

t.test('values auditd writes as hex, and the interpreters on their own', async (t) => {
  const names: IdNameSource = { user: (u) => (u === 5 ? 'a b' : u === 6 ? 'x"y' : u === 7 ? 'caf\xe9' : null), group: () => null, accountsChanged: () => {}, version: () => 0 };
  const out = formatLogLine({ type: 1005, text: Buffer.from('audit(1.000:1): pid=1 uid=5 auid=6 ses=1 msg=\'ouid=7\'') }, formatsFor(new Enricher({ names })).log)!;
  t.equal(suffixOf(out), 'UID=612062 AUID=782279 OUID=636166E9');
  t.equal(ipv6Text(Buffer.from('00000000000000000000000000000001', 'hex'), 0), '::1');
  t.equal(ipv6Text(Buffer.from('00000000000000000000000000000000', 'hex'), 0), '::');
  t.equal(ipv6Text(Buffer.from('20010db8000000010000000000000000', 'hex'), 0), '2001:db8:0:1::');
  t.equal(ipv6Text(Buffer.from('20010db8000100000001000000000001', 'hex'), 0), '2001:db8:1:0:1::1', 'the longest run is the one compressed');
  t.equal(ipv6Text(Buffer.from('0000000000000000000000000a000001', 'hex'), 0), '::10.0.0.1');
  t.equal(sockaddrText('0200'), '{ saddr_fam=inet sockaddr len too short }');
  t.equal(sockaddrText('zz'), 'malformed-host(zz)');
});

t.test('RAW is unchanged, and what ENRICHED costs per record', async (t) => {
  const lines = reference();
  const records = lines.map(recordOf);
  const raw = formatGroups([records], LOG_FORMAT).buf.toString('latin1').split('\n').filter(Boolean);
  t.same(raw, lines.map((l) => (l.includes(GS) ? l.slice(0, l.lastIndexOf(GS)) : l)), 'RAW lines are the ENRICHED lines cut at their last GS');
  // the daemon's hot records: a SYSCALL openat event (SYSCALL, CWD, PATH, PROCTITLE)
  const event = lines.filter((l) => /^type=(SYSCALL|CWD|PATH|PROCTITLE) /.test(l)).slice(0, 400).map(recordOf);
  const fmt = formatsFor(new Enricher({ names: fixtureNames() })).log;
  const time = (opts: typeof LOG_FORMAT): number => {
    const rounds = 200;
    for (let i = 0; i < 20; i++) formatGroups([event], opts);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) formatGroups([event], opts);
    return Number(process.hrtime.bigint() - t0) / 1000 / (rounds * event.length);
  };
  const rawUs = time(LOG_FORMAT);
  const enrichedUs = time(fmt);
  t.comment(`per record: RAW ${rawUs.toFixed(3)} us, ENRICHED ${enrichedUs.toFixed(3)} us (${event.length} SYSCALL/CWD/PATH/PROCTITLE records)`);
  // generous: catches a per-record lookup that is not cached (a file read or a table load)
  t.ok(enrichedUs < 25, `ENRICHED costs ${enrichedUs.toFixed(2)} us per record (bound 25)`);
});

t.test("plugins get the log's ENRICHED lines, EOE included (auditd's protocol 2); RAW plugins as before", async (t) => {
  const lines = reference();
  const sys = recordOf(lines.find((l) => l.startsWith('type=SYSCALL ') && l.includes('SYSCALL=openat'))!);
  const eoe: AuditRecord = { type: 1320, text: Buffer.from(`${sys.text.toString('latin1', 0, sys.text.indexOf(' '))} `) };
  const formats = formatsFor(new Enricher({ names: fixtureNames() }));
  const out = (opts: typeof LOG_FORMAT) => formatGroups([[sys, eoe]], opts).buf.toString('latin1').split('\n').filter(Boolean);
  const logLine = formatLogLine(sys, formats.log)!;
  t.ok(logLine.includes(`${GS}ARCH=x86_64 SYSCALL=openat`));
  t.same(out(formats.plugin), [logLine, `type=EOE msg=${eoe.text.toString('latin1').trimEnd()}`]);
  t.same(out(formatsFor(null).plugin), [`type=SYSCALL msg=${sys.text.toString('latin1')}`, `type=EOE msg=${eoe.text.toString('latin1')}`]);
});

t.test('a record the log and the plugins both format is interpreted once, by each enricher', async (t) => {
  const lines = reference();
  const records = lines.slice(0, 20).map(recordOf);
  class Counting extends Enricher { calls = 0; override suffix(...a: Parameters<Enricher['suffix']>) { this.calls++; return super.suffix(...a); } }
  const e = new Counting({ names: fixtureNames() });
  const formats = formatsFor(e);
  const log = formatGroups([records], formats.log).buf.toString('latin1');
  const plugin = formatGroups([records], formats.plugin).buf.toString('latin1');
  t.equal(e.calls, records.length, 'one interpretation per record for log and plugins together');
  t.equal(plugin, log, 'the plugins get the same lines (none of these is an EOE)');
  const other = new Counting({ names: fixtureNames() });
  formatGroups([records], formatsFor(other).log);
  t.equal(other.calls, records.length, 'another enricher does not reuse the first one\'s fields');
  const fresh = formatGroups([lines.slice(0, 20).map(recordOf)], formatsFor(new Enricher({ names: fixtureNames() })).log).buf.toString('latin1');
  t.equal(log, fresh, 'the lines are those of a first formatting');
});

t.test('the harness starts tsauditd with the log_format a scenario gives and reads its log with the matching reader', async (t) => {
  const { tsauditdConfigMap, renderConfig } = await import('../../harness/daemons/config-file.ts');
  const { parseConfig } = await import('../../auditd/config.ts');
  const { logFormat, ENRICHED: ENRICHED_READER } = await import('../../harness/verdict/log-format.ts');
  for (const [over, daemon, reader] of [[undefined, 'raw', 'enriched'], ['ENRICHED', 'enriched', 'enriched'], ['raw', 'raw', 'raw']] as const) {
    const map = tsauditdConfigMap('/tmp/x', undefined, 'block', undefined, over ? { log_format: over } : undefined);
    t.equal(parseConfig(renderConfig(map, 't'), '/tmp/x/auditd.conf', '/tmp/x').logFormat, daemon, `log_format ${over ?? '(none)'}: tsauditd writes ${daemon}`);
    t.equal(logFormat(over).name, reader, `and the harness reads it as ${reader}`);
  }
  // the ENRICHED reader (used when no log_format is given) reads RAW and ENRICHED lines alike
  for (const line of reference().slice(0, 20)) {
    const raw = line.includes(GS) ? line.slice(0, line.lastIndexOf(GS)) : line;
    t.same(ENRICHED_READER.parse(raw), ENRICHED_READER.parse(line), 'same record from the RAW and the ENRICHED line');
  }
});
