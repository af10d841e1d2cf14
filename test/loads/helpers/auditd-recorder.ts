// Test helper: Debian's auditd in the foreground as the kernel's record keeper, so a generator's
// own counts can be compared with what the kernel logged. Plus small auditctl wrappers.
import { baseConfig } from '../../../harness/daemons/auditd-daemon.ts';
import { renderConfig } from '../../../harness/daemons/config-file.ts';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function auditctl(...args: string[]): string {
  return execFileSync('auditctl', args, { encoding: 'utf8' });
}

export function auditStatus(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of auditctl('-s').split('\n')) {
    const m = /^(\w+) (-?\d+)/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** auids for tests, in the project's range */
export function randomRunAuid(): number {
  return 4200000000 + Math.floor(Math.random() * 90_000_000);
}

/** Rule text (placeholders filled) -> auditctl argument words. */
export function ruleArgs(rule: string, values: Record<string, string>): string[] {
  return rule.replace(/@([A-Z]+)@/g, (_, n: string) => {
    if (values[n] === undefined) throw new Error(`no value for @${n}@`);
    return values[n];
  }).trim().split(/\s+/);
}

export class AuditdRecorder {
  private constructor(readonly dir: string, readonly log: string, private readonly child: ChildProcess) {}

  static async start(): Promise<AuditdRecorder> {
    const dir = mkdtempSync(join(tmpdir(), 'asg-auditd-'));
    mkdirSync(join(dir, 'plugins.d'));
    const log = join(dir, 'audit.log');
    // the same auditd.conf the harness's auditd adapter runs with, log in this dir
    const conf = { ...baseConfig(dir), log_file: log };
    writeFileSync(join(dir, 'auditd.conf'), renderConfig(conf, 'auditd recorder for generator tests'), { mode: 0o640 });
    if (auditStatus().pid !== 0) throw new Error(`an audit daemon is registered already (pid ${auditStatus().pid})`);
    // -s nochange: the test decides when audit is enabled
    const child = spawn('auditd', ['-n', '-c', dir, '-s', 'nochange'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr += d; });
    const rec = new AuditdRecorder(dir, log, child);
    const deadline = Date.now() + 10_000;
    while (auditStatus().pid !== child.pid) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`auditd did not register (exit ${child.exitCode}): ${stderr}`);
      }
      await sleep(50);
    }
    return rec;
  }

  get pid(): number {
    return this.child.pid!;
  }

  logText(): string {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8') : '';
  }

  /** Send a user message through auditctl and wait until auditd wrote it: everything queued
   *  before it is in the log then. Needs audit enabled. */
  async sync(tag: string, timeoutMs = 20_000): Promise<void> {
    auditctl('-m', tag);
    const deadline = Date.now() + timeoutMs;
    while (!this.logText().includes(tag)) {
      if (Date.now() > deadline) throw new Error(`marker ${tag} not in ${this.log} after ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** The log's length now: taken while audit is off and after sync(), everything logged later
   *  starts past it. */
  mark(): number {
    return existsSync(this.log) ? statSync(this.log).size : 0;
  }

  /** SYSCALL records (= events) with this key, as Debian's ausearch reads the log: the whole log,
   *  or the lines from `from` (a mark()) on. ausearch's time grows faster than the log (it keeps
   *  recent events open and searches them for each record), so each case reads only its own part
   *  of the log rather than every earlier case's records again. */
  countKey(key: string, from = 0): number {
    let file = this.log;
    if (from > 0) {
      const all = readFileSync(this.log);
      // from the first whole line at or after `from`
      const start = all[from - 1] === 0x0a ? from : all.indexOf(0x0a, from) + 1 || all.length;
      file = join(this.dir, 'since-mark.log');
      writeFileSync(file, all.subarray(start));
    }
    let raw = '';
    try {
      raw = execFileSync('ausearch', ['-if', file, '-k', key, '--format', 'raw'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    } catch (err) {
      // exit 1 with "<no matches>" means zero
      if ((err as { status?: number }).status === 1) return 0;
      throw err;
    }
    return raw.split('\n').filter((l) => l.startsWith('type=SYSCALL ')).length;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      const deadline = Date.now() + 10_000;
      while (this.child.exitCode === null && this.child.signalCode === null && Date.now() < deadline) await sleep(50);
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    }
    const deadline = Date.now() + 5000;
    while (auditStatus().pid === this.child.pid && Date.now() < deadline) await sleep(50);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
