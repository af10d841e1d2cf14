import t from 'tap';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { createLogSink, type LogWriterOptions } from '../../auditd/log-writer.ts';
import { openatEvents } from '../fixtures/synthetic-records.ts';

const FIXTURE = new URL('../fixtures/log-writer-run.ts', import.meta.url).pathname;
/** The bits of a tap test these helpers use (subtests and the root differ in type). */
interface TT {
  teardown(fn: () => unknown): void;
  ok(v: unknown, ...rest: [] | [string]): boolean;
  equal(a: unknown, b: unknown, ...rest: [] | [string]): boolean;
}
const O_APPEND = 0o2000;
const O_DSYNC = 0o10000;
const O_SYNC = 0o4010000; // __O_SYNC | O_DSYNC

function tempDir(t: TT, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A real small filesystem: tmpfs of `size` mounted on a temp dir, unmounted in teardown. */
async function smallFs(t: TT, size: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tmpfs-'));
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  t.teardown(async () => {
    await execa('umount', [dir], { reject: false });
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function opts(logFile: string, over: Partial<LogWriterOptions> = {}): LogWriterOptions {
  return {
    logFile,
    flush: 'none',
    freq: 50,
    maxLogFileMiB: 0,
    numLogs: 5,
    maxLogFileAction: 'ignore',
    spaceLeftMiB: 0,
    spaceLeftAction: 'ignore',
    adminSpaceLeftMiB: 0,
    adminSpaceLeftAction: 'ignore',
    diskFullAction: 'ignore',
    diskErrorAction: 'syslog',
    onWarn: () => {},
    ...over,
  };
}

const lineCount = (file: string): number => readFileSync(file, 'latin1').split('\n').length - 1;

/** Every line whole, and ausearch reads the file without complaint; returns its SYSCALL count. */
async function parseable(t: TT, file: string): Promise<number> {
  const text = readFileSync(file, 'latin1');
  t.ok(text.length === 0 || text.endsWith('\n'), `${file} ends with a whole line`);
  const bad = text.split('\n').filter((l) => l && !l.startsWith('type='));
  t.equal(bad.length, 0, `every line starts with type= (${bad[0]?.slice(0, 60) ?? ''})`);
  const r = await execa('ausearch', ['-if', file, '--raw'], { reject: false });
  t.equal(r.stderr.replace('<no matches>', '').trim(), '', `ausearch reads ${file}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('type=SYSCALL')).length;
}

function fdFlags(fd: number): number {
  const m = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return parseInt(m![1], 8);
}

t.test('writes batches, resolves with counts that exclude EOE, file mode 0600', async (t) => {
  const dir = tempDir(t, 'lw-');
  const log = join(dir, 'audit.log');
  const sink = await createLogSink(opts(log));
  const r = await sink.write(openatEvents(10, 1));
  t.same(r, { written: 40, notWritten: 0 });
  // Many writes without waiting: one write in flight, the rest coalesce; all resolve in order.
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => sink.write(openatEvents(2, 100 + 2 * i))));
  t.ok(results.every((x) => x.written === 8 && x.notWritten === 0));
  const s = sink.stats();
  t.equal(s.recordsWritten, 440);
  await sink.close();
  t.equal(lineCount(log), 440);
  t.equal(await parseable(t, log), 110);
  t.equal(statSync(log).mode & 0o777, 0o600);
  t.equal(s.bytesWritten, statSync(log).size);
  await t.rejects(sink.write(openatEvents(1)), /closed/);
});

t.test('flush=data opens O_DSYNC, flush=sync O_SYNC, none neither; always O_APPEND', async (t) => {
  const dir = tempDir(t, 'lw-');
  for (const [flush, want, notWant] of [
    ['data', O_DSYNC, O_SYNC],
    ['sync', O_SYNC, 0],
    ['none', 0, O_DSYNC],
    ['incremental', 0, O_DSYNC],
  ] as const) {
    const sink = await createLogSink(opts(join(dir, `${flush}.log`), { flush }));
    const fd = sink.stats().fd!;
    const flags = fdFlags(fd);
    t.equal(flags & O_APPEND, O_APPEND, `${flush}: O_APPEND`);
    if (want) t.equal(flags & want, want, `${flush}: flags ${flags.toString(8)} include ${want.toString(8)}`);
    if (notWant) t.equal(flags & notWant & ~want, 0, `${flush}: flags ${flags.toString(8)} lack ${notWant.toString(8)}`);
    await sink.write(openatEvents(5));
    await sink.close();
    t.equal(lineCount(join(dir, `${flush}.log`)), 20);
  }
});

// Counting fsync(2) calls with strace in a child process: the real syscalls, not our counter.
async function traceFsyncs(t: TT, flush: string, freq: number, events: number, per: number) {
  const dir = tempDir(t, 'lw-strace-');
  const log = join(dir, 'audit.log');
  const trace = join(dir, 'trace.txt');
  const run = () => execa('strace', ['-f', '-qq', '-e', 'trace=fsync,fdatasync', '-o', trace, process.execPath, '--import=tsx', FIXTURE, log, flush, String(freq), String(events), String(per)]);
  // strace -f can itself fail on a thread that exits mid-stop (ptrace(PTRACE_LISTEN): EIO): that is
  // strace's race, not the writer's, so it gets one more try on a fresh log
  const r = await run().catch(async (err: Error) => {
    if (!/ptrace\(/.test(err.message)) throw err;
    rmSync(log, { force: true });
    return run();
  });
  const out = JSON.parse(r.stdout) as { fd: number; stats: { recordsWritten: number; fsyncs: number } };
  const calls = readFileSync(trace, 'utf8')
    .split('\n')
    // `fsync(28) = 0` or, split across threads, `fsync(28 <unfinished ...>`
    .filter((l) => new RegExp(`f(data)?sync\\(${out.fd}\\b`).test(l));
  t.equal(lineCount(log), events * 4);
  return { calls: calls.length, out };
}

t.test('flush=incremental fsyncs every freq records (and once at close)', async (t) => {
  // 1000 records in writes of 20, freq 100: 10 fsyncs while writing + 1 at close.
  const { calls, out } = await traceFsyncs(t, 'incremental', 100, 250, 5);
  t.equal(out.stats.recordsWritten, 1000);
  t.equal(calls, 11, 'strace saw 11 fsync calls on the log descriptor');
  t.equal(out.stats.fsyncs, 10);
});

t.test('flush=incremental_async fsyncs on the pool, folding requests that overlap', async (t) => {
  const { calls, out } = await traceFsyncs(t, 'incremental_async', 100, 250, 5);
  t.ok(calls >= 2 && calls <= 11, `between 2 and 11 fsyncs (got ${calls})`);
  t.equal(out.stats.recordsWritten, 1000);
});

t.test('flush=none fsyncs only at close', async (t) => {
  const { calls } = await traceFsyncs(t, 'none', 100, 250, 5);
  t.equal(calls, 1);
});

t.test('rotation by size keeps num_logs files, newest first, rotated ones read-only', async (t) => {
  const dir = tempDir(t, 'lw-rot-');
  const log = join(dir, 'audit.log');
  // Leftovers from an earlier, larger num_logs are removed at start (auditd check_excess_logs).
  writeFileSync(join(dir, 'audit.log.3'), 'old\n');
  writeFileSync(join(dir, 'audit.log.4'), 'old\n');
  const sink = await createLogSink(opts(log, { maxLogFileMiB: 0.02, numLogs: 3, maxLogFileAction: 'rotate' }));
  t.notOk(existsSync(join(dir, 'audit.log.3')));
  t.notOk(existsSync(join(dir, 'audit.log.4')));
  let serial = 1;
  for (let i = 0; i < 40; i++) {
    await sink.write(openatEvents(10, serial));
    serial += 10;
  }
  const s = sink.stats();
  await sink.close();
  t.ok(s.rotations >= 5, `rotated ${s.rotations} times`);
  t.same(readdirSync(dir).sort(), ['audit.log', 'audit.log.1', 'audit.log.2']);
  t.equal(statSync(join(dir, 'audit.log.1')).mode & 0o777, 0o400);
  // The newest events are in audit.log, the ones before in .1, then .2.
  // (audit.log may be empty: the last batch can be the one that crossed max_log_file.)
  const lastSerial = (f: string): number => {
    const m = [...readFileSync(join(dir, f), 'latin1').matchAll(/:(\d+)\): /g)];
    return m.length ? Number(m[m.length - 1][1]) : Infinity;
  };
  const newest = lastSerial('audit.log') === Infinity ? lastSerial('audit.log.1') : lastSerial('audit.log');
  t.equal(newest, serial - 1, 'the newest record is in the newest file');
  t.ok(lastSerial('audit.log.1') < lastSerial('audit.log'));
  t.ok(lastSerial('audit.log.2') < lastSerial('audit.log.1'));
  for (const f of ['audit.log', 'audit.log.1', 'audit.log.2']) await parseable(t, join(dir, f));
  t.ok(statSync(join(dir, 'audit.log.1')).size >= 0.02 * 1024 * 1024, 'a file rotates once it reaches max_log_file');
});

t.test('rotate() (SIGUSR1) rotates; keep_logs shifts without deleting', async (t) => {
  const dir = tempDir(t, 'lw-keep-');
  const log = join(dir, 'audit.log');
  const sink = await createLogSink(opts(log, { numLogs: 2, maxLogFileAction: 'keep_logs' }));
  for (let i = 0; i < 5; i++) {
    await sink.write(openatEvents(1, i + 1));
    await sink.rotate();
  }
  await sink.close();
  t.same(readdirSync(dir).sort(), ['audit.log', 'audit.log.1', 'audit.log.2', 'audit.log.3', 'audit.log.4', 'audit.log.5']);
  t.match(readFileSync(join(dir, 'audit.log.1'), 'latin1'), /:5\): /, '.1 is the newest');
  t.match(readFileSync(join(dir, 'audit.log.5'), 'latin1'), /:1\): /, '.5 is the oldest');
  t.equal(lineCount(log), 0);

  const dir2 = tempDir(t, 'lw-rot1-');
  const log2 = join(dir2, 'audit.log');
  const warnings: string[] = [];
  const one = await createLogSink(opts(log2, { numLogs: 1, maxLogFileAction: 'rotate', onWarn: (m) => warnings.push(m) }));
  await one.write(openatEvents(1));
  await one.rotate();
  await one.close();
  t.same(readdirSync(dir2), ['audit.log'], 'num_logs < 2: no rotation');
  t.match(warnings.join('\n'), /rotation disabled/);
});

t.test('max_log_file_action=suspend: stops writing, counts what it did not write, resume() writes again', async (t) => {
  const dir = tempDir(t, 'lw-susp-');
  const log = join(dir, 'audit.log');
  const sink = await createLogSink(opts(log, { maxLogFileMiB: 0.01, maxLogFileAction: 'suspend' }));
  let written = 0;
  let notWritten = 0;
  for (let i = 0; i < 30; i++) {
    const r = await sink.write(openatEvents(5, i * 5 + 1));
    written += r.written;
    notWritten += r.notWritten;
  }
  const s = sink.stats();
  t.ok(s.suspended);
  t.match(s.suspendReason, /max_log_file/);
  t.equal(written + notWritten, 600);
  t.ok(notWritten > 0);
  t.equal(s.notWritten, notWritten);
  t.equal(lineCount(log), written, 'the file holds exactly what was reported written');
  sink.resume();
  t.notOk(sink.stats().suspended);
  const after = await sink.write(openatEvents(1, 10000));
  t.equal(after.written, 4, 'after resume the next batch is written');
  t.ok(sink.stats().suspended, 'and the size check suspends again, as auditd does');
  await sink.close();
  t.equal(lineCount(log), written + 4);
});

t.test('disk full on a 1 MiB tmpfs: suspend, nothing torn, every record accounted for', async (t) => {
  const dir = await smallFs(t, '1m');
  const log = join(dir, 'audit.log');
  const warnings: string[] = [];
  const sink = await createLogSink(opts(log, { diskFullAction: 'suspend', onWarn: (m) => warnings.push(m) }));
  let written = 0;
  let notWritten = 0;
  for (let i = 0; i < 1000; i++) {
    const r = await sink.write(openatEvents(10, i * 10 + 1));
    written += r.written;
    notWritten += r.notWritten;
  }
  const s = sink.stats();
  t.ok(s.suspended, 'suspended');
  t.match(s.suspendReason, /disk full/);
  t.equal(written + notWritten, 40000);
  t.ok(written > 1000 && notWritten > 30000, `written ${written}, not written ${notWritten}`);
  t.match(warnings.join('\n'), /no space left/);
  await sink.close();
  t.equal(lineCount(log), written);
  t.equal(await parseable(t, log), Math.ceil(written / 4), 'ausearch sees one event per SYSCALL written');
});

t.test('disk full with disk_full_action=ignore: writes keep failing, counted, log stays whole', async (t) => {
  const dir = await smallFs(t, '1m');
  const log = join(dir, 'audit.log');
  const sink = await createLogSink(opts(log, { diskFullAction: 'ignore' }));
  let written = 0;
  let notWritten = 0;
  for (let i = 0; i < 800; i++) {
    const r = await sink.write(openatEvents(10, i * 10 + 1));
    written += r.written;
    notWritten += r.notWritten;
  }
  const s = sink.stats();
  t.notOk(s.suspended);
  t.ok(s.diskFull);
  t.ok(s.writeErrors > 0, `write errors ${s.writeErrors}`);
  t.equal(written + notWritten, 32000);
  await sink.close();
  t.equal(lineCount(log), written);
  await parseable(t, log);
});

t.test('space_left warns once (syslog), admin_space_left suspends, halt calls onHalt', async (t) => {
  const dir = await smallFs(t, '2m');
  const log = join(dir, 'audit.log');
  const warnings: string[] = [];
  const sink = await createLogSink(
    opts(log, {
      spaceLeftMiB: 1.5,
      spaceLeftAction: 'syslog',
      adminSpaceLeftMiB: 1,
      adminSpaceLeftAction: 'suspend',
      onWarn: (m) => warnings.push(m),
    }),
  );
  let serial = 1;
  while (!sink.stats().suspended && serial < 200000) {
    await sink.write(openatEvents(10, serial));
    serial += 10;
  }
  const s = sink.stats();
  t.ok(s.suspended);
  t.match(s.suspendReason, /admin_space_left/);
  t.ok(s.spaceWarning && s.adminSpaceWarning);
  t.equal(warnings.filter((w) => /low on disk space/.test(w) && !/very/.test(w)).length, 1, 'space_left warned once');
  const size = statSync(log).size;
  t.ok(size > 0.5 * 1024 * 1024 && size < 1.1 * 1024 * 1024, `stopped after about 1 MiB (${size})`);
  await sink.close();

  const halts: string[] = [];
  const log2 = join(dir, 'halt.log');
  const h = await createLogSink(opts(log2, { spaceLeftMiB: 5, spaceLeftAction: 'halt', onHalt: (r) => halts.push(r) }));
  t.equal(halts.length, 1, 'below space_left at start: halt fires during the start-up check');
  const r = await h.write(openatEvents(1));
  t.same(r, { written: 0, notWritten: 4 }, 'nothing is written after a halt');
  await h.close();
});

t.test('disk_error_action on a write error (descriptor gone: EBADF)', async (t) => {
  const dir = tempDir(t, 'lw-err-');
  for (const action of ['syslog', 'suspend', 'halt'] as const) {
    const warnings: string[] = [];
    const halts: string[] = [];
    const log = join(dir, `${action}.log`);
    const sink = await createLogSink(
      opts(log, { diskErrorAction: action, onWarn: (m) => warnings.push(m), onHalt: (m) => halts.push(m) }),
    );
    await sink.write(openatEvents(2));
    closeSync(sink.stats().fd!);
    const r = await sink.write(openatEvents(2, 3));
    t.same(r, { written: 0, notWritten: 8 }, `${action}: failed write counted`);
    const s = sink.stats();
    t.equal(s.writeErrors, 1);
    t.match(warnings.join('\n'), /EBADF/);
    t.equal(s.suspended, action !== 'syslog', `${action}: suspended=${action !== 'syslog'}`);
    t.equal(halts.length, action === 'halt' ? 1 : 0);
    await sink.close().catch(() => {});
    t.equal(lineCount(log), 8);
  }
});

t.test('log_group makes the log 0640 and group-owned', async (t) => {
  const dir = tempDir(t, 'lw-grp-');
  const log = join(dir, 'audit.log');
  const sink = await createLogSink(opts(log, { logGroup: 'adm' }));
  await sink.close();
  const st = statSync(log);
  t.equal(st.mode & 0o777, 0o640);
  const adm = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.startsWith('adm:'))!.split(':')[2];
  t.equal(st.gid, Number(adm));
  await t.rejects(createLogSink(opts(join(dir, 'x.log'), { logGroup: 'no-such-group-xyz' })), /no group named/);
});

t.test('a stalled sink (a FIFO nobody reads) holds write() promises without blocking the event loop', async (t) => {
  const dir = tempDir(t, 'lw-fifo-');
  const log = join(dir, 'audit.log');
  await execa('mkfifo', [log]);
  // Keep a reader open that does not read: writes fill the 64 KiB pipe, then block in the kernel.
  const reader = openSync(log, constants.O_RDONLY | constants.O_NONBLOCK);
  t.teardown(() => closeSync(reader));
  const sink = await createLogSink(opts(log));
  let resolved = 0;
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < 20; i++) writes.push(sink.write(openatEvents(100, i * 100 + 1)).then(() => resolved++));
  // The loop stays live: timers fire on time while the write sits on the pool.
  const lags: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = Date.now();
    await sleep(20);
    lags.push(Date.now() - t0 - 20);
  }
  t.ok(Math.max(...lags) < 50, `timer lag stays small while the disk stalls (max ${Math.max(...lags)} ms)`);
  t.ok(resolved < 20, `writes are held back while the sink stalls (${resolved} of 20 resolved)`);
  const pendingBefore = sink.stats().pendingRecords;
  t.ok(pendingBefore > 0, `records wait in the writer (${pendingBefore})`);
  // Drain the FIFO: everything goes through, every promise resolves.
  const buf = Buffer.alloc(1 << 16);
  let got = 0;
  while (resolved < 20 || got < sink.stats().bytesWritten) {
    try {
      got += readSync(reader, buf);
    } catch {
      await sleep(2);
    }
  }
  await Promise.all(writes);
  t.equal(sink.stats().recordsWritten, 20 * 100 * 4);
  t.equal(got, sink.stats().bytesWritten, 'the reader got every byte');
  await sink.close();
});
