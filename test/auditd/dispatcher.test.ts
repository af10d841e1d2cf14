import t from 'tap';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDispatcher } from '../../auditd/dispatcher.ts';
import { createLogSink } from '../../auditd/log-writer.ts';
import { PLUGIN_DEFAULTS, PluginConfigError, readPluginDir, type PluginConfig } from '../../auditd/plugin-config.ts';
import { openatEvents } from '../fixtures/synthetic-records.ts';

const CAT = new URL('../fixtures/plugin-cat.sh', import.meta.url).pathname;
const CRASH = new URL('../fixtures/plugin-crash.sh', import.meta.url).pathname;

function tempDir(t: { teardown(fn: () => unknown): void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function plugin(path: string, args: string[], over: Partial<PluginConfig> = {}): PluginConfig {
  return { name: 'test.conf', active: true, path, args, format: 'string', qDepth: 100, overflowAction: 'drop', maxRestarts: 3, ...over };
}

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'latin1').split('\n').slice(0, -1) : []);

async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(10);
  }
  return true;
}

t.test('every record reaches the plugin, EOE included, in string format', async (t) => {
  const dir = tempDir(t, 'disp-');
  const out = join(dir, 'out.txt');
  const d = await createDispatcher({ plugins: [plugin(CAT, [out], { qDepth: 10000 }), plugin(CAT, [join(dir, 'off')], { active: false })], onWarn: () => {} });
  t.equal(d.stats().length, 1, 'inactive plugins are not started');
  let offered = 0;
  for (let i = 0; i < 200; i++) {
    d.dispatch(openatEvents(1, i + 1));
    offered += 5;
    if (i % 20 === 0) await sleep(5);
  }
  await until(() => d.stats()[0].queueDepth === 0);
  const s = d.stats()[0];
  await d.close();
  const got = lines(out);
  t.equal(s.dropped, 0, 'a plugin that keeps up loses nothing');
  t.equal(s.delivered, offered);
  t.equal(got.length, s.delivered);
  t.equal(got.filter((l) => l.startsWith('type=EOE msg=audit(')).length, got.length / 5);
  t.equal(got[0].slice(0, 47), 'type=SYSCALL msg=audit(1717000000.001:1): arch=');
  t.notOk(existsSync(join(dir, 'off')));
  t.equal(d.stats()[0].state, 'stopped');
});

t.test('drop: a stopped plugin (SIGSTOP) drops and counts, and never holds up the log writer', async (t) => {
  const dir = tempDir(t, 'disp-drop-');
  const out = join(dir, 'out.txt');
  const d = await createDispatcher({ plugins: [plugin(CAT, [out], { qDepth: 100, overflowAction: 'drop' })], onWarn: () => {} });
  await until(() => d.stats()[0].pid !== null);
  const pid = d.stats()[0].pid!;
  process.kill(pid, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {}
  });
  const sink = await createLogSink({
    logFile: join(dir, 'audit.log'), flush: 'none', freq: 1, maxLogFileMiB: 0, numLogs: 1, maxLogFileAction: 'ignore',
    spaceLeftMiB: 0, spaceLeftAction: 'ignore', adminSpaceLeftMiB: 0, adminSpaceLeftAction: 'ignore',
    diskFullAction: 'ignore', diskErrorAction: 'syslog', onWarn: () => {},
  });
  let offered = 0;
  let refusals = 0;
  let logged = 0;
  const t0 = Date.now();
  for (let i = 0; i < 2000; i++) {
    const batch = openatEvents(5, i * 5 + 1);
    if (!d.dispatch(batch)) refusals++;
    offered += batch.length;
    logged += (await sink.write(batch)).written;
  }
  const elapsed = Date.now() - t0;
  const s = d.stats()[0];
  t.equal(refusals, 0, 'dispatch never refuses under drop');
  t.equal(logged, 2000 * 5 * 4, 'the log got every record while the plugin was stopped');
  t.ok(elapsed < 10000, `log writing kept going (${elapsed} ms for 40k records)`);
  t.ok(s.dropped > 40000, `dropped and counted: ${s.dropped}`);
  t.ok(s.queueDepth <= 100 + 25, `queue stays bounded by q_depth (+ one batch in the pipe): ${s.queueDepth}`);
  process.kill(pid, 'SIGCONT');
  await until(() => d.stats()[0].queueDepth === 0);
  await d.close();
  await sink.close();
  const f = d.stats()[0];
  t.equal(f.delivered + f.dropped + f.lostOnCrash, offered, 'every record is delivered or counted');
  t.equal(lines(out).length, f.delivered, 'the plugin got exactly what was delivered');
});

t.test('block: a stopped plugin makes dispatch() return false; onWritable fires when it reads again', async (t) => {
  const dir = tempDir(t, 'disp-block-');
  const out = join(dir, 'out.txt');
  const d = await createDispatcher({ plugins: [plugin(CAT, [out], { qDepth: 200, overflowAction: 'block' })], onWarn: () => {} });
  await until(() => d.stats()[0].pid !== null);
  const pid = d.stats()[0].pid!;
  process.kill(pid, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {}
  });
  let writable = 0;
  d.onWritable(() => writable++);
  let offered = 0;
  let refused = false;
  // The pipe (64 KiB) and the stream buffer absorb some; then the queue fills and dispatch says stop.
  for (let i = 0; i < 5000 && !refused; i++) {
    refused = !d.dispatch(openatEvents(2, i * 2 + 1));
    offered += 10;
    await sleep(0);
  }
  t.ok(refused, `dispatch returned false after ${offered} records`);
  t.ok(d.blocked());
  const s = d.stats()[0];
  t.ok(s.queueDepth >= 200, `queue at q_depth: ${s.queueDepth}`);
  t.equal(s.dropped, 0, 'block never drops');
  await sleep(200);
  t.equal(writable, 0, 'no onWritable while the plugin is stopped');
  process.kill(pid, 'SIGCONT');
  t.ok(await until(() => writable > 0), 'onWritable fired after SIGCONT');
  t.notOk(d.blocked());
  await until(() => d.stats()[0].queueDepth === 0);
  await d.close();
  t.equal(lines(out).length, offered, 'nothing lost under block');
});

t.test('a crashing plugin is restarted up to max_restarts, then given up on without blocking', async (t) => {
  const dir = tempDir(t, 'disp-crash-');
  const starts = join(dir, 'starts.txt');
  const warnings: string[] = [];
  const d = await createDispatcher({
    plugins: [plugin(CRASH, [starts], { maxRestarts: 3, overflowAction: 'block', qDepth: 1000 })],
    onWarn: (m) => warnings.push(m),
    restartDelayMs: 20,
  });
  for (let i = 0; i < 400 && d.stats()[0].state !== 'failed'; i++) {
    d.dispatch(openatEvents(1, i + 1));
    await sleep(10);
  }
  const s = d.stats()[0];
  t.equal(s.state, 'failed');
  t.equal(s.restarts, 3);
  t.equal(lines(starts).length, 4, 'started once plus 3 restarts');
  t.match(warnings.join('\n'), /exited with 3; restart 1 of 3/);
  t.match(warnings.join('\n'), /max_restarts \(3\) reached/);
  t.equal(d.dispatch(openatEvents(1, 9999)), true, 'a failed plugin does not block');
  t.ok(d.stats()[0].lostOnCrash >= 5, 'records it can no longer take are counted');
  await d.close();
});

t.test('readPluginDir: auditd plugins.d syntax, with file:line:col errors', async (t) => {
  const dir = tempDir(t, 'pdir-');
  const write = (name: string, text: string, mode = 0o644): string => {
    const f = join(dir, name);
    writeFileSync(f, text);
    chmodSync(f, mode);
    return f;
  };
  write(
    'a-cat.conf',
    `# a comment\nactive = yes\ndirection = out\npath = ${CAT}\ntype = always\nargs = /tmp/x --flag\nformat = string\nq_depth = 64\noverflow_action = block\nmax_restarts = 2\n`,
  );
  write('b-off.conf', `active = no\npath = /sbin/audisp-remote\ntype = always\nformat = string\n`);
  write('ignored.txt', 'not a conf');
  const defaults = { ...PLUGIN_DEFAULTS, qDepth: 300 };
  const got = await readPluginDir(dir, defaults);
  t.equal(got.length, 2);
  t.match(got[0], { name: 'a-cat.conf', active: true, path: CAT, args: ['/tmp/x', '--flag'], qDepth: 64, overflowAction: 'block', maxRestarts: 2 });
  t.match(got[1], { name: 'b-off.conf', active: false, qDepth: 300, overflowAction: 'drop' });
  t.same(await readPluginDir(join(dir, 'missing')), []);

  const bad = tempDir(t, 'pdir-bad-');
  const w = (name: string, text: string, mode = 0o644): void => {
    writeFileSync(join(bad, name), text);
    chmodSync(join(bad, name), mode);
  };
  w('1.conf', `active = maybe\npath = relative/prog\nformat = binary\ncolour = blue\nargs\n  q_depth = -3\n`);
  w('2.conf', `active = yes\npath = ${CAT}\n`, 0o666);
  mkdirSync(join(bad, 'bin'));
  writeFileSync(join(bad, 'bin', 'noexec'), '#!/bin/sh\n');
  chmodSync(join(bad, 'bin', 'noexec'), 0o644);
  w('3.conf', `active = yes\npath = ${join(bad, 'bin', 'noexec')}\n`);
  w('4.conf', `active = yes\nformat = string\n`);
  const err = await readPluginDir(bad).then(
    () => null,
    (e: unknown) => e,
  );
  t.type(err, PluginConfigError);
  const msg = (err as PluginConfigError).message;
  const f1 = join(bad, '1.conf');
  t.match(msg, `${f1}:1:10: active must be yes or no, got "maybe"`);
  t.match(msg, `${f1}:2:8: path must be absolute`);
  t.match(msg, `${f1}:3:10: format = binary is not supported`);
  t.match(msg, `${f1}:4:1: unknown keyword "colour"`);
  t.match(msg, `${f1}:5:1: expected "args = value"`);
  t.match(msg, `${f1}:6:13: "q_depth" must be an integer >= 1, got "-3"`);
  t.match(msg, `${join(bad, '2.conf')}:1:1: group or world writable`);
  t.match(msg, `${join(bad, '3.conf')}:2:1: ${join(bad, 'bin', 'noexec')} is not executable`);
  t.match(msg, `${join(bad, '4.conf')}:1:1: active plugin has no path`);
});

t.test('readPluginDir: Debian\'s stock plugins.d (builtin_af_unix, inactive) loads; a builtin made active is refused', async (t) => {
  // /etc/audit/plugins.d/af_unix.conf as the auditd package ships it (the trailing space too)
  const afUnix = 'active = no\ndirection = out\npath = builtin_af_unix\ntype = builtin \nargs = 0640 /var/run/audispd_events\nformat = string\n';
  const dir = tempDir(t, 'pdir-debian-');
  writeFileSync(join(dir, 'af_unix.conf'), afUnix);
  writeFileSync(join(dir, 'syslog.conf'), 'active = no\ndirection = out\npath = /sbin/audisp-syslog\ntype = always \nargs = LOG_INFO\nformat = string\n');
  const warnings: string[] = [];
  const got = await readPluginDir(dir, PLUGIN_DEFAULTS, (m) => warnings.push(m));
  t.same(got.map((p) => [p.name, p.active]), [['af_unix.conf', false], ['syslog.conf', false]]);
  t.match(warnings.join('\n'), `${join(dir, 'af_unix.conf')}:3:8: builtin plugin "builtin_af_unix" is inactive; ignored`);

  // `active` after `path`: the builtin is judged on the whole file
  writeFileSync(join(dir, 'af_unix.conf'), afUnix.replace('active = no\n', '') + 'active = yes\n');
  const err = await readPluginDir(dir).then(() => null, (e: unknown) => e);
  t.type(err, PluginConfigError);
  t.match((err as PluginConfigError).message, `${join(dir, 'af_unix.conf')}:2:8: builtin plugins ("builtin_af_unix") do not exist in tsauditd`);
});
