// Kernel set-up for tsauditd's tests, each step undone in t.teardown even when the test fails:
// audit enabled with a short backlog_wait_time, an auid-scoped rule, a daemon that is stopped
// and unregistered. Run these tests under `flock /run/lock/auditstorm-dev.lock`.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { AuditControl, type AuditStatus } from '../../../harness/kernel/audit-control.ts';
import type { DaemonStats } from '../../../auditd/stats.ts';

type T = { teardown(fn: () => unknown): void; comment(...a: unknown[]): void };

export const BIN = fileURLToPath(new URL('../../../auditd/bin/tsauditd.js', import.meta.url));
export const LOAD = fileURLToPath(new URL('../../fixtures/openat-load.mjs', import.meta.url));

export function randomAuid(): number {
  return 4200000000 + Math.floor(Math.random() * 90000000);
}

export async function withControl<R>(fn: (c: AuditControl) => Promise<R>): Promise<R> {
  const c = await AuditControl.open();
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

export const status = (): Promise<AuditStatus> => withControl((c) => c.getStatus());

/** Enable audit for this test only; the settings in force before are put back in teardown. */
export async function enableAudit(t: T, o: { backlogLimit: number; backlogWaitMs: number }): Promise<AuditStatus> {
  const before = await status();
  t.teardown(() => withControl((c) => c.setStatus({
    enabled: before.enabled as 0 | 1, backlogLimit: before.backlogLimit,
    backlogWaitTimeJiffies: before.backlogWaitTime, rateLimit: before.rateLimit,
  })));
  await withControl((c) => c.setStatus({ enabled: 1, backlogLimit: o.backlogLimit, backlogWaitTimeMs: o.backlogWaitMs }));
  return before;
}

/** `-a always,exit -F arch=b64 -S openat -F auid=AUID -F key=KEY`, deleted in teardown. */
export async function addOpenatRule(t: T, auid: number, key: string): Promise<void> {
  const rule = ['always,exit', '-F', 'arch=b64', '-S', 'openat', '-F', `auid=${auid}`, '-F', `key=${key}`];
  await execa('auditctl', ['-a', ...rule]);
  t.teardown(() => execa('auditctl', ['-d', ...rule], { reject: false }));
}

/** Make sure no daemon is left registered: a dead one is cleared by the kernel's replace probe. */
export async function ensureUnregistered(): Promise<void> {
  await withControl(async (c) => {
    const d = await c.registeredDaemon();
    if (d && d.pid !== 0) {
      if (d.comm !== null) process.kill(d.pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      await c.setStatus({ pid: 0 }).catch(() => {});
    }
  });
}

export function tempDir(t: T, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface RunningDaemon {
  proc: ChildProcess;
  dir: string;
  stderr: () => string;
  stats: () => DaemonStats;
  /** SIGTERM and wait; resolves to the exit code (or signal name) */
  stop: (timeoutMs?: number) => Promise<number | string>;
  exited: Promise<number | string>;
}

export function writeConf(dir: string, conf: Record<string, string | number>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'auditd.conf'),
    Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
}

export function readStats(dir: string): DaemonStats {
  return JSON.parse(readFileSync(join(dir, 'tsauditd.stats.json'), 'utf8')) as DaemonStats;
}

/** Start tsauditd -f -c DIR (optionally inside a memory cgroup) and wait until it is registered. */
export async function startDaemon(t: T, dir: string, o: { cgroupProcs?: string | string[]; beforeStop?: () => Promise<unknown> } = {}): Promise<RunningDaemon> {
  rmSync(join(dir, 'tsauditd.stats.json'), { force: true });
  const node = `${process.execPath} ${BIN} -f -c ${dir}`;
  // enter the cgroup before exec so every byte the daemon ever maps is charged there
  const enter = [o.cgroupProcs ?? []].flat().map((p) => `echo $$ > ${p} && `).join('');
  const cmd = `${enter}exec ${node}`;
  const proc = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | string>((r) => proc.on('exit', (code, sig) => r(code ?? sig ?? -1)));
  let done = false;
  void exited.then(() => { done = true; });
  t.teardown(async () => {
    // e.g. thaw a frozen log filesystem: a stuck write would outlive even SIGKILL
    await o.beforeStop?.();
    if (!done) {
      proc.kill('SIGTERM');
      const r = await Promise.race([exited, new Promise((res) => setTimeout(() => res('timeout'), 15000).unref())]);
      if (r === 'timeout') proc.kill('SIGKILL');
      await exited;
    }
    await ensureUnregistered();
  });
  const statsFile = join(dir, 'tsauditd.stats.json');
  const deadline = Date.now() + 15000;
  for (;;) {
    if (done) throw new Error(`tsauditd exited at start:\n${err}`);
    if (existsSync(statsFile)) {
      try {
        if (readStats(dir).registered) break;
      } catch { /* mid-rename */ }
    }
    if (Date.now() > deadline) throw new Error(`tsauditd did not register in 15 s:\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    proc, dir, exited,
    stderr: () => err,
    stats: () => readStats(dir),
    stop: async (timeoutMs = 60000) => {
      proc.kill('SIGTERM');
      // unref: a pending 60 s timer would otherwise hold the test process open after the last test
      const r = await Promise.race([exited, new Promise<string>((res) => setTimeout(() => res('timeout'), timeoutMs).unref())]);
      return r;
    },
  };
}

/** Load children run as `env -u NODE_OPTIONS node ...`: tap's processinfo wraps spawn and puts
 *  its --import into NODE_OPTIONS of every child; in the load that hook writes a file after the
 *  auid is set, an audited openat more than asked for. */
export const LOAD_ENV = (() => {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) if (k.startsWith('TAP') || k.startsWith('_TAPJS')) delete env[k];
  return env;
})();

/** Run the openat load as a child with its own auid: exactly `n` audited syscalls. */
export async function runLoad(auid: number, n: number): Promise<{ ms: number }> {
  const r = await execa('env', ['-u', 'NODE_OPTIONS', process.execPath, LOAD, String(auid), String(n)], { env: LOAD_ENV, extendEnv: false });
  const m = /^done (\d+) (\d+)/.exec(r.stdout);
  if (!m) throw new Error(`load printed ${r.stdout}`);
  return { ms: Number(m[2]) };
}

/** Lines per piece ausearch reads: auparse keeps every event of its last end_of_event_timeout
 *  (2 s) open and searches them for each record, so a log of 40,000 events written within 2 s
 *  took 26 s to read whole and 0.7 s in pieces of this size. */
const AUSEARCH_PIECE_LINES = 5000;

/** SYSCALL records with key K that ausearch finds in the logs (one per audited syscall). Each log
 *  is read in pieces of whole lines: every line is still parsed, and each SYSCALL line (which
 *  carries the key) is in exactly one piece, so the count is the one ausearch gives the file. */
export async function ausearchCount(logs: string[], key: string): Promise<{ count: number; stderr: string }> {
  let count = 0;
  let stderr = '';
  const dir = mkdtempSync(join(tmpdir(), 'ausearch-pieces-'));
  try {
    for (const log of logs) {
      if (!existsSync(log)) { // ausearch's own error for a missing file
        stderr += (await execa('ausearch', ['-if', log, '-k', key], { reject: false })).stderr.trim();
        continue;
      }
      const lines = readFileSync(log, 'latin1').split('\n').filter((l) => l !== '');
      for (let i = 0; i < Math.max(lines.length, 1); i += AUSEARCH_PIECE_LINES) {
        const piece = join(dir, 'piece.log');
        writeFileSync(piece, lines.length ? `${lines.slice(i, i + AUSEARCH_PIECE_LINES).join('\n')}\n` : '', 'latin1');
        const r = await execa('ausearch', ['-if', piece, '-k', key, '--format', 'raw'], { reject: false, maxBuffer: 1 << 30 });
        stderr += r.stderr.replace('<no matches>', '').trim();
        for (const line of r.stdout.split('\n')) if (line.startsWith('type=SYSCALL ')) count++;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { count, stderr };
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/**
 * Audit records the kernel prints to its log (kauditd_printk_skb: the records it drops, on a
 * kernel booted without audit=1, without counting them), read from /dev/kmsg as they come, so a
 * test can name the events the kernel dropped. Lifts printk's rate limit while it runs (put back
 * at stop). `overruns`: times the ring buffer wrapped before we read it (the count is then a
 * lower bound, and a test that needs it exact must say so).
 */
export function kmsgAuditSerials(key: string): { stop: () => { serials: Set<number>; overruns: number; printed: number } } {
  const fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  const rl = '/proc/sys/kernel/printk_ratelimit';
  const rlBefore = readFileSync(rl, 'utf8').trim();
  writeFileSync(rl, '0');
  const buf = Buffer.allocUnsafe(16 * 1024);
  const serials = new Set<number>();
  const re = new RegExp(`^audit: type=1300 audit\\(\\d+\\.\\d+:(\\d+)\\): .*key="${key}"`);
  let overruns = 0;
  let printed = 0;
  let skip = true;
  const drain = () => {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') { if (!skip) overruns++; continue; }
        if (code === 'EAGAIN') return;
        throw err;
      }
      if (n <= 0 || skip) continue;
      const text = buf.toString('latin1', 0, n);
      const msg = text.slice(text.indexOf(';') + 1);
      if (msg.startsWith('audit: type=')) printed++;
      const m = re.exec(msg);
      if (m) serials.add(Number(m[1]));
    }
  };
  drain();
  skip = false;
  const timer = setInterval(drain, 20);
  return {
    stop: () => {
      clearInterval(timer);
      drain();
      closeSync(fd);
      writeFileSync(rl, rlBefore);
      return { serials, overruns, printed };
    },
  };
}

/** Serials of the SYSCALL records with key KEY in a log (one per audited syscall event). */
export function logKeySerials(logs: string[], key: string): Set<number> {
  const out = new Set<number>();
  const re = /^type=SYSCALL msg=audit\(\d+\.\d+:(\d+)\): /;
  for (const log of logs) {
    if (!existsSync(log)) continue;
    for (const line of readFileSync(log, 'latin1').split('\n')) {
      if (!line.includes(`key="${key}"`)) continue;
      const m = re.exec(line);
      if (m) out.add(Number(m[1]));
    }
  }
  return out;
}

/** /proc/PID/status (or PID/task/TID) fields in KiB or counts: VmRSS, VmHWM, voluntary_ctxt_switches... */
export function procStatus(path: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${path}/status`, 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}
