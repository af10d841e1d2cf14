// Writes the audit.log excerpts of the two example bundles (deterministic: a fixed seed), so
// what is in the gzip files can be regenerated and read: `npx tsx loads/bundles/make-example-logs.ts`.
// The other files of each bundle are written by hand; see each bundle's notes.txt for the story.
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (s: string) => Buffer.from(s).toString('hex').toUpperCase();

interface Ctx { rnd: () => number; serial: number; enriched: boolean }

function syscallEvent(c: Ctx, ts: number, sc: { nr: number; name: string; exe: string; comm: string; path: string; key: string; success: boolean; auid: number }): string[] {
  const stamp = `${Math.floor(ts)}.${String(Math.floor((ts % 1) * 1000)).padStart(3, '0')}:${c.serial++}`;
  const pid = 2000 + Math.floor(c.rnd() * 3000);
  const x = (s: string) => (c.enriched ? `\x1d${s}` : '');
  const exit = sc.success ? 3 : -2;
  return [
    `type=SYSCALL msg=audit(${stamp}): arch=c000003e syscall=${sc.nr} success=${sc.success ? 'yes' : 'no'} exit=${exit} a0=ffffff9c a1=7ffd3a1c a2=0 a3=0 items=1 ppid=1 pid=${pid} auid=${sc.auid} uid=48 gid=48 euid=48 suid=48 fsuid=48 egid=48 sgid=48 fsgid=48 tty=(none) ses=${sc.auid === 4294967295 ? 4294967295 : 7} comm="${sc.comm}" exe="${sc.exe}" key="${sc.key}"${x(`ARCH=x86_64 SYSCALL=${sc.name} AUID="${sc.auid === 4294967295 ? 'unset' : 'alice'}" UID="apache" GID="apache"`)}`,
    `type=CWD msg=audit(${stamp}): cwd="/var/www"`,
    `type=PATH msg=audit(${stamp}): item=0 name="${sc.path}" inode=${100000 + Math.floor(c.rnd() * 90000)} dev=fd:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL${x('OUID="root" OGID="root"')}`,
    `type=PROCTITLE msg=audit(${stamp}): proctitle=${hex(sc.comm)}`,
  ];
}

function userEvent(c: Ctx, ts: number, type: string, size: number): string[] {
  const stamp = `${Math.floor(ts)}.${String(Math.floor((ts % 1) * 1000)).padStart(3, '0')}:${c.serial++}`;
  let msg = `op=PAM:session_open grantors=pam_unix acct="alice" exe="/usr/sbin/sshd" hostname=10.0.0.7 addr=10.0.0.7 terminal=ssh res=success`;
  while (msg.length < size) msg += ' data=0123456789abcdef';
  msg = msg.slice(0, size);
  return [`type=${type} msg=audit(${stamp}): pid=${1000 + Math.floor(c.rnd() * 999)} uid=0 auid=1000 ses=7 msg='${msg}'${c.enriched ? '\x1dUID="root" AUID="alice"' : ''}`];
}

// ---- 2009 runaway: a web server's opens (ENOENT-heavy) and cgi execs, ramping up over 20 s ----
{
  const c: Ctx = { rnd: prng(2009), serial: 481_200, enriched: false };
  const lines: string[] = [];
  const t0 = 1257894000; // 2009-11-10 23:00:00 UTC
  for (let s = 0; s < 20; s++) {
    const rate = 500 + s * 100; // 500 -> 2,400 events/s: the traffic peak of the evening
    for (let i = 0; i < rate; i++) {
      const ts = t0 + s + i / rate;
      const r = c.rnd();
      if (r < 0.8) lines.push(...syscallEvent(c, ts, { nr: 2, name: 'open', exe: '/usr/sbin/httpd', comm: 'httpd', path: `/var/www/html/img/${Math.floor(c.rnd() * 500)}.png`, key: 'access', success: false, auid: 4294967295 }));
      else if (r < 0.95) lines.push(...syscallEvent(c, ts, { nr: 59, name: 'execve', exe: '/usr/bin/php-cgi', comm: 'php-cgi', path: '/usr/bin/php-cgi', key: 'exec', success: true, auid: 4294967295 }));
      else lines.push(...userEvent(c, ts, c.rnd() < 0.5 ? 'USER_START' : 'CRED_ACQ', 120 + Math.floor(c.rnd() * 80)));
    }
  }
  writeFileSync(here('./2009-runaway/audit.log.1.gz'), gzipSync(`${lines.join('\n')}\n`, { level: 9 }));
  console.log(`2009-runaway: ${lines.length} lines`);
}

// ---- backlog storm: a steady trickle, and a nightly scan bursting at the daemon's ceiling ----
{
  const c: Ctx = { rnd: prng(2024), serial: 9_102_331, enriched: true };
  const lines: string[] = [];
  const t0 = 1732417200; // 2024-11-24 03:00:00 UTC
  for (let s = 0; s < 40; s++) {
    const burst = (s >= 10 && s < 16) || (s >= 28 && s < 34);
    // outside bursts the daemon keeps up with ~100 events/s; in a burst it writes at its
    // ceiling (~1,200/s, a slow disk under flush=data) and the kernel drops the rest
    const rate = burst ? 1150 + Math.floor(c.rnd() * 100) : 90 + Math.floor(c.rnd() * 20);
    for (let i = 0; i < rate; i++) {
      const ts = t0 + s + i / rate;
      const r = c.rnd();
      if (burst || r < 0.7) {
        lines.push(...syscallEvent(c, ts, { nr: 257, name: 'openat', exe: '/usr/bin/find', comm: 'find', path: `/srv/data/${Math.floor(c.rnd() * 1e6)}`, key: 'access', success: c.rnd() < 0.3, auid: 1000 }));
      } else if (r < 0.85) {
        lines.push(...syscallEvent(c, ts, { nr: 42, name: 'connect', exe: '/usr/bin/curl', comm: 'curl', path: '/etc/hosts', key: 'net', success: true, auid: 1000 }));
      } else {
        const big = c.rnd() < 0.1;
        lines.push(...userEvent(c, ts, c.rnd() < 0.5 ? 'USER_CMD' : 'USER_ACCT', big ? 2000 + Math.floor(c.rnd() * 4000) : 150 + Math.floor(c.rnd() * 100)));
      }
    }
  }
  // split like a rotation: the older half in audit.log.1, the rest in audit.log
  const cut = lines.findIndex((l) => l.includes(`msg=audit(${t0 + 20}.`));
  writeFileSync(here('./backlog-storm/audit.log.1.gz'), gzipSync(`${lines.slice(0, cut).join('\n')}\n`, { level: 9 }));
  writeFileSync(here('./backlog-storm/audit.log.gz'), gzipSync(`${lines.slice(cut).join('\n')}\n`, { level: 9 }));
  console.log(`backlog-storm: ${lines.length} lines`);
}

// ---- af_unix slow client: a restore job's file writes, RAW with node= prefixes (name_format =
// HOSTNAME), steady at the load's rate; auditd writes everything, its plugin queue overflows ----
{
  const c: Ctx = { rnd: prng(273), serial: 5_501_200, enriched: false };
  const lines: string[] = [];
  const t0 = 1661249643; // 2022-08-23 10:14:03 UTC
  const calls = [
    { nr: 257, name: 'openat', share: 0.45 },
    { nr: 280, name: 'utimensat', share: 0.3 },
    { nr: 260, name: 'fchownat', share: 0.25 },
  ];
  for (let s = 0; s < 8; s++) {
    const rate = 2900 + Math.floor(c.rnd() * 200);
    for (let i = 0; i < rate; i++) {
      const ts = t0 + s + i / rate;
      const r = c.rnd();
      const sc = r < calls[0].share ? calls[0] : r < calls[0].share + calls[1].share ? calls[1] : calls[2];
      const ev = syscallEvent(c, ts, { nr: sc.nr, name: sc.name, exe: '/usr/bin/tar', comm: 'tar', path: `/root/restore/srv/${Math.floor(c.rnd() * 40000)}.dat`, key: 'access', success: true, auid: 0 });
      lines.push(...ev.map((l) => `node=web3 ${l}`));
    }
  }
  writeFileSync(here('./af-unix-slow-client/audit.log.gz'), gzipSync(`${lines.join('\n')}\n`, { level: 9 }));
  console.log(`af-unix-slow-client: ${lines.length} lines`);
}

// ---- build farm on a sync NFS log: execve events as `ausearch` prints them (---- and time->
// separators, records newest first), at the ceiling the NFS writes allow (~70 events/s) ----
{
  const c: Ctx = { rnd: prng(5269), serial: 88_123_401, enriched: false };
  const out: string[] = [];
  const t0 = 1761403350; // 2025-10-25 14:42:30 UTC
  const tools = ['gcc', 'cc1', 'as', 'ld', 'make', 'sh', 'sed', 'python3'];
  for (let s = 0; s < 20; s++) {
    const rate = 64 + Math.floor(c.rnd() * 10);
    for (let i = 0; i < rate; i++) {
      const ts = t0 + s + i / rate;
      const stamp = `${Math.floor(ts)}.${String(Math.floor((ts % 1) * 1000)).padStart(3, '0')}:${c.serial++}`;
      const tool = tools[Math.floor(c.rnd() * tools.length)];
      const pid = 20000 + Math.floor(c.rnd() * 40000);
      const when = new Date(Math.floor(ts) * 1000);
      const time = `${when.toUTCString().slice(0, 3)} ${when.toUTCString().slice(8, 11)} ${when.getUTCDate()} ${when.toISOString().slice(11, 19)} ${when.getUTCFullYear()}`;
      // ausearch prints an event's records last-first
      out.push('----', `time->${time}`,
        `type=PROCTITLE msg=audit(${stamp}): proctitle=${hex(`${tool} -c unit.c`)}`,
        `type=PATH msg=audit(${stamp}): item=1 name="/lib64/ld-linux-x86-64.so.2" inode=${1000 + Math.floor(c.rnd() * 9000)} dev=fd:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0`,
        `type=PATH msg=audit(${stamp}): item=0 name="/usr/bin/${tool}" inode=${20000 + Math.floor(c.rnd() * 9000)} dev=fd:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0`,
        `type=CWD msg=audit(${stamp}): cwd="/build/ws/release-7.4/src"`,
        `type=EXECVE msg=audit(${stamp}): argc=3 a0="${tool}" a1="-c" a2="unit.c"`,
        `type=SYSCALL msg=audit(${stamp}): arch=c000003e syscall=59 success=yes exit=0 a0=55d1c2 a1=55d1d0 a2=55d1e8 a3=0 items=2 ppid=${pid - 1} pid=${pid} auid=1012 uid=1012 gid=1012 euid=1012 suid=1012 fsuid=1012 egid=1012 sgid=1012 fsgid=1012 tty=(none) ses=41 comm="${tool.slice(0, 15)}" exe="/usr/bin/${tool}" key="exec"`);
    }
  }
  writeFileSync(here('./sync-nfs-backlog/ausearch-exec.txt.gz'), gzipSync(`${out.join('\n')}\n`, { level: 9 }));
  console.log(`sync-nfs-backlog: ${out.length} lines`);
}
