// Benchmark of the accounting at soak scale (not a test, no kernel): a synthetic RAW log of N
// events (default 50 million; SYSCALL, CWD, PATH, PROCTITLE each, with 1 event in 1,000 of
// another auid) is generated as bytes, in 1 MiB chunks that cut lines anywhere as a file's read
// stream does, and scanned once through the log reader's byte path (scanLogFiles'), as a
// daemon's log would be, without writing tens of GiB to disk; 1 event
// in 100 of the run's is left out of the log and "printed by the kernel" instead, and every 7th
// of the rest is silently missing. It prints the throughput, the harness's peak RSS, the
// bitmap's size, and checks that the accounting comes out exact.
//   npm run bench:accounting [-- --events 50000000]
import { performance } from 'node:perf_hooks';
import { LogScanner } from '../verdict/log-events.ts';
import { accountEvents } from '../verdict/accounting.ts';
import { SerialSet } from '../kernel/serial-set.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const EVENTS = arg('events', 50_000_000);
const AUID = 4_200_000_001;
const PID = 4242;
const FIRST_SERIAL = 3_000_000_000;
const LIMIT_MIB = 128;

let peakRss = 0;
const sampleRss = () => { peakRss = Math.max(peakRss, process.memoryUsage().rss); };
const timer = setInterval(sampleRss, 50);

// The lines, as bytes: constant parts encoded once, numbers written digit by digit, so the
// generator makes no string per line (its own garbage would be measured as the reader's).
const CHUNK = 1 << 20;
const enc = (text: string) => Buffer.from(text);
const P = {
  syscall: enc('type=SYSCALL msg=audit('), cwd: enc('type=CWD msg=audit('), path: enc('type=PATH msg=audit('), proctitle: enc('type=PROCTITLE msg=audit('),
  syscallBody: enc('): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7f0012345678 a2=80000 a3=0 items=1 ppid=1 pid='),
  auid: enc(' auid='),
  syscallTail: enc(' uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=3 comm="node" exe="/usr/bin/node" key="storm"\n'),
  cwdBody: enc('): cwd="/tmp/scratch"\n'),
  pathBody: enc('): item=0 name="/tmp/scratch/f-'),
  inode: enc('" inode='),
  pathTail: enc(' dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n'),
  proctitleBody: enc('): proctitle=6E6F6465002F746D702F6C6F61642E6A73\n'),
};
let chunk = Buffer.allocUnsafe(CHUNK + 4096);
let at = 0;
const put = (b: Buffer) => { b.copy(chunk, at); at += b.length; };
const digits = new Uint8Array(20);
const putInt = (n: number, width = 0) => {
  let k = 0;
  do { digits[k++] = 0x30 + (n % 10); n = Math.floor(n / 10); } while (n > 0);
  while (k < width) digits[k++] = 0x30;
  while (k) chunk[at++] = digits[--k]!;
};
const putStamp = (sec: number, ms: number, serial: number) => { putInt(sec); chunk[at++] = 0x2e; putInt(ms, 3); chunk[at++] = 0x3a; putInt(serial); };
/** hand over a full chunk, its last line cut where the chunk ends; a fresh buffer each time, as a read stream gives */
const flush = (all: boolean) => {
  const n = all ? at : Math.min(at, CHUNK);
  const next = Buffer.allocUnsafe(CHUNK + 4096);
  chunk.copy(next, 0, n, at);
  scanner.bytes(chunk.subarray(0, n));
  at -= n;
  chunk = next;
};

const scanner = new LogScanner({ auid: AUID, loadPids: [PID] });
const printed = new SerialSet();
let generated = 0, silentTruth = 0, kernelTruth = 0;
const t0 = performance.now();
let lastReport = t0;
for (let i = 0; i < EVENTS; i++) {
  const serial = FIRST_SERIAL + i;
  const ours = i % 1000 !== 999;
  if (ours) generated++;
  if (ours && i % 100 === 50) { printed.add(serial); kernelTruth++; continue; }
  if (ours && i % 7 === 3) { silentTruth++; continue; }
  const sec = 1_700_000_000 + Math.floor(i / 20_000), ms = i % 1000;
  put(P.syscall); putStamp(sec, ms, serial); put(P.syscallBody); putInt(PID); put(P.auid); putInt(ours ? AUID : 1000); put(P.syscallTail);
  put(P.cwd); putStamp(sec, ms, serial); put(P.cwdBody);
  put(P.path); putStamp(sec, ms, serial); put(P.pathBody); putInt(i & 1023); put(P.inode); putInt(i); put(P.pathTail);
  put(P.proctitle); putStamp(sec, ms, serial); put(P.proctitleBody);
  if (at >= CHUNK) flush(false);
  if ((i & 0xfffff) === 0) {
    sampleRss();
    const now = performance.now();
    if (now - lastReport > 10_000) {
      lastReport = now;
      process.stderr.write(`  ${(i / 1e6).toFixed(1)}M events, ${((i / (now - t0)) * 1000 / 1e6).toFixed(2)}M events/s, RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB\n`);
    }
  }
}
flush(true);
scanner.endOfFile();
const log = scanner.finish();
const e = accountEvents({
  generated, generatedByPid: new Map([[PID, generated]]), log,
  kernel: { lostDelta: 0, printed, suppressed: 0, missedKmsgRecords: 0, holdsPrinted: false },
  daemon: { droppedEvents: null, notWrittenEvents: null },
});
const secs = (performance.now() - t0) / 1000;
sampleRss();
clearInterval(timer);
const exact = e.silentLoss === silentTruth && e.lost.kernelDropped === kernelTruth && e.incomplete === 0 && e.unexpected === 0;
const rssMiB = peakRss / 1048576;
console.log(`accounting bench: ${EVENTS.toLocaleString('en')} events (${(log.lines / 1e6).toFixed(0)}M log lines) in ${secs.toFixed(1)} s, ` +
  `${(EVENTS / secs / 1e6).toFixed(2)}M events/s`);
console.log(`  harness peak RSS ${rssMiB.toFixed(1)} MiB (limit ${LIMIT_MIB} MiB); serial bitmap ${(log.serials.bytes / 1048576).toFixed(1)} MiB`);
console.log(`  logged ${e.logged}, kernel dropped ${e.lost.kernelDropped} (truth ${kernelTruth}), silent loss ${e.silentLoss} (truth ${silentTruth}): ${exact ? 'exact' : 'WRONG'}`);
process.exitCode = exact && rssMiB < LIMIT_MIB ? 0 : 1;
