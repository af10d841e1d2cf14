// log_format = ENRICHED on the real kernel (run under the kernel lock):
//   flock /tmp/auditstorm-kernel.lock npx tap test/auditd/enriched.test.ts
// Debian's auditd and tsauditd, both ENRICHED, see the same load and user messages one after the
// other; what each appends after GS must be the same record for record. Then Debian's ausearch
// (auparse) and the harness's ENRICHED reader must find every event of tsauditd's log.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import {
  enableAudit, ensureUnregistered, LOAD_ENV, randomAuid, runLoad, sleep, startDaemon, status, tempDir, withControl, writeConf,
} from './helpers/kernel-env.ts';
import { ENRICH_MESSAGES } from './helpers/enrich-messages.ts';
import { baseConfig } from '../../harness/daemons/auditd-daemon.ts';
import { renderConfig } from '../../harness/daemons/config-file.ts';
import { scanLogFiles } from '../../harness/verdict/log-events.ts';
import { ENRICHED } from '../../harness/verdict/log-format.ts';

const ENRICH_LOAD = fileURLToPath(new URL('../fixtures/enrich-load.mjs', import.meta.url));
const GS = '\x1d';
const N = 2000;

const lines = (file: string): string[] => readFileSync(file, 'latin1').split('\n').filter(Boolean);
/** an event's identity, as auparse groups records: timestamp and serial (tsauditd numbers its own records apart) */
const serialOf = (line: string): string => /msg=audit\((\d+\.\d+:\d+)\)/.exec(line)?.[1] ?? '';
const typeOf = (line: string): string => line.slice(5, line.indexOf(' '));
const suffixOf = (line: string): string => (line.includes(GS) ? line.slice(line.indexOf(GS) + 1) : '');

/** The events (by serial) whose SYSCALL record has `key`, as `TYPE suffix` lines in log order. */
function keyedRecords(log: string[], key: string): string[] {
  const serials = new Set(log.filter((l) => l.startsWith('type=SYSCALL ') && l.includes(`key="${key}"`)).map(serialOf));
  return log.filter((l) => serials.has(serialOf(l))).map((l) => `${typeOf(l)} ${suffixOf(l)}`);
}

/** The records of the user messages, in order: `TYPE suffix` */
function messageRecords(log: string[]): string[] {
  return log.filter((l) => ENRICH_MESSAGES.some((m) => l.includes(`msg='${m.text.slice(0, 20).replace('\n', ' ')}`)))
    .map((l) => `${typeOf(l)} ${suffixOf(l)}`);
}

/** The load (in `files`, the same directory for both daemons: its paths are in SADDR) and the messages. */
async function events(auid: number, files: string): Promise<void> {
  rmSync(files, { recursive: true, force: true });
  await execa('env', ['-u', 'NODE_OPTIONS', process.execPath, ENRICH_LOAD, String(auid), files], { env: LOAD_ENV, extendEnv: false });
  await withControl(async (c) => { for (const m of ENRICH_MESSAGES) await c.sendUserMessage(m.type, m.text); });
}

t.before(ensureUnregistered);

t.test('ENRICHED: what auditd appends, tsauditd appends; ausearch and the harness read every event', async (t) => {
  await enableAudit(t, { backlogLimit: 8192, backlogWaitMs: 1000 });
  const auid = randomAuid();
  const loadAuid = auid + 1;
  const key = `ts_enriched_${auid}`;
  const rules = [
    ['always,exit', '-F', 'arch=b64', '-S', 'openat,connect,bind,chown', '-F', `auid=${auid}`, '-F', `key=${key}`],
    ['always,exit', '-F', 'arch=b64', '-S', 'openat', '-F', `auid=${loadAuid}`, '-F', `key=${key}_n`],
  ];
  for (const r of rules) {
    await execa('auditctl', ['-a', ...r]);
    t.teardown(() => execa('auditctl', ['-d', ...r], { reject: false }));
  }

  const files = join(tempDir(t, 'enriched-load-'), 'files');
  // Debian's auditd, log_format = ENRICHED (auditd.conf as the harness writes it)
  const ad = tempDir(t, 'enriched-auditd-');
  mkdirSync(join(ad, 'plugins.d'));
  const adLog = join(ad, 'audit.log');
  writeFileSync(join(ad, 'auditd.conf'), renderConfig({ ...baseConfig(ad), log_format: 'ENRICHED' }, 'enriched test'), { mode: 0o640 });
  const proc = spawn('auditd', ['-n', '-c', ad], { stdio: 'ignore' });
  const exited = new Promise((r) => proc.on('exit', r));
  t.teardown(async () => { proc.kill('SIGKILL'); await ensureUnregistered(); });
  for (let i = 0; i < 100 && (await status()).pid !== proc.pid; i++) await sleep(50);
  t.equal((await status()).pid, proc.pid, 'auditd registered');
  await events(auid, files);
  await sleep(300);
  proc.kill('SIGTERM');
  await exited;
  await withControl((c) => c.setStatus({ enabled: 1 })); // auditd leaves it as it likes on exit

  // tsauditd, log_format = enriched, the same events, and N openat calls of another auid
  const td = tempDir(t, 'enriched-tsauditd-');
  writeConf(td, { log_format: 'enriched', flush: 'incremental_async', max_log_file: 0, max_log_file_action: 'ignore', oom_score_adj: 'keep' });
  const d = await startDaemon(t, td);
  await events(auid, files);
  await runLoad(loadAuid, N);
  for (let last = -1, i = 0; i < 100; i++) {
    const s = d.stats();
    if (s.received === last && s.queue.records === 0) break;
    last = s.received;
    await sleep(100);
  }
  t.equal(await d.stop(), 0, 'tsauditd exit 0');
  const tsLog = join(td, 'audit.log');

  const a = lines(adLog);
  const b = lines(tsLog);
  const start = b.find((l) => l.startsWith('type=DAEMON_START ')) ?? '';
  t.ok(start.includes(' format=enriched '), 'DAEMON_START says format=enriched');
  t.match(suffixOf(start), /^AUID="[^"]+" UID="root"$/, "tsauditd's own records are enriched too");
  // the load's events, record by record: the same types and the same interpretations
  const ka = keyedRecords(a, key);
  const kb = keyedRecords(b, key);
  t.ok(ka.length >= 40, `auditd logged ${ka.length} records of the load's events`);
  t.same(kb, ka, "the load's records: tsauditd's suffixes are auditd's");
  const ma = messageRecords(a);
  const mb = messageRecords(b);
  t.equal(ma.length, ENRICH_MESSAGES.length, 'auditd logged every user message');
  t.same(mb, ma, "the user messages' records: tsauditd's suffixes are auditd's");

  // Debian's auparse reads the ENRICHED log: every event, and the same interpretation it makes of the RAW lines
  const ev = await execa('ausearch', ['-i', '--input', tsLog], { reject: false, maxBuffer: 1 << 28 });
  const serials = new Set(b.map(serialOf));
  // (auparse splits a set-loginuid event in two at its LOGIN record, in auditd's log too: count
  // distinct stamps, not `----` separators; -i prints the time of day, enough within one run)
  const found = new Set(ev.stdout.split('\n').map((l) => / (\d\d:\d\d:\d\d\.\d+:\d+)\) : /.exec(l)?.[1]).filter(Boolean));
  t.equal(found.size, serials.size, `ausearch -i finds all ${serials.size} events (distinct timestamp:serial)`);
  // (ausearch --format raw ends a record that has no interpretations with a GS: cut it)
  const back = (await execa('ausearch', ['--input', tsLog, '--format', 'raw'], { reject: false, maxBuffer: 1 << 28, encoding: 'latin1' })).stdout
    .split('\n').filter(Boolean).map((l) => (l.endsWith(GS) && !l.slice(0, -1).includes(GS) ? l.slice(0, -1) : l));
  t.same(back.slice().sort(), b.slice().sort(), 'ausearch --format raw gives back every line of the log');
  t.equal(ev.stderr.trim(), '', 'ausearch reports no error');
  const rawLog = join(td, 'audit.raw.log');
  writeFileSync(rawLog, b.map((l) => (l.includes(GS) ? l.slice(0, l.indexOf(GS)) : l)).join('\n') + '\n', 'latin1');
  const byKey = async (file: string) => (await execa('ausearch', ['-i', '--input', file, '-k', key], { reject: false, maxBuffer: 1 << 28 })).stdout;
  const [fromEnriched, fromRaw] = [await byKey(tsLog), await byKey(rawLog)];
  t.ok(fromEnriched.includes('syscall=openat') && fromEnriched.includes('ouid=daemon'), 'ausearch -i shows the names');
  t.equal(fromEnriched, fromRaw, "ausearch -i of the load's events: the ENRICHED log reads as auparse interprets the RAW one");

  // the harness's ENRICHED reader: the N openat events exactly, all complete, no line unread
  const scan = await scanLogFiles([tsLog], { auid: loadAuid, format: ENRICHED });
  t.equal(scan.events, N, `the harness's reader counts ${N} events`);
  t.equal(scan.incomplete, 0, 'none incomplete');
  t.equal(scan.duplicates, 0, 'none twice');
  t.equal(scan.malformedLines, 0, 'every line read as a record');
  const loadRecords = b.filter((l) => l.includes(`key="${key}_n"`)).length;
  t.equal(loadRecords, N, `${N} SYSCALL lines of the load`);
});
