// Benchmark of the accounting at soak scale (not a test, no kernel): a synthetic RAW log of N
// events (default 50 million; SYSCALL, CWD, PATH, PROCTITLE each, with 1 event in 1,000 of
// another auid) is generated line by line and scanned once, as a daemon's log would be; 1 event
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
  const ms = String(i % 1000).padStart(3, '0');
  const stamp = `msg=audit(${1_700_000_000 + Math.floor(i / 20_000)}.${ms}:${serial}): `;
  scanner.line(`type=SYSCALL ${stamp}arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7f0012345678 a2=80000 a3=0 items=1 ppid=1 pid=${PID} auid=${ours ? AUID : 1000} uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=3 comm="node" exe="/usr/bin/node" key="storm"`);
  scanner.line(`type=CWD ${stamp}cwd="/tmp/scratch"`);
  scanner.line(`type=PATH ${stamp}item=0 name="/tmp/scratch/f-${i & 1023}" inode=${i} dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0`);
  scanner.line(`type=PROCTITLE ${stamp}proctitle=6E6F6465002F746D702F6C6F61642E6A73`);
  if ((i & 0xfffff) === 0) {
    sampleRss();
    const now = performance.now();
    if (now - lastReport > 10_000) {
      lastReport = now;
      process.stderr.write(`  ${(i / 1e6).toFixed(1)}M events, ${((i / (now - t0)) * 1000 / 1e6).toFixed(2)}M events/s, RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB\n`);
    }
  }
}
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
