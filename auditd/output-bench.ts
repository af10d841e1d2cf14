// Throughput of tsauditd's output side alone: format, and format + write per flush mode, for
// synthetic 5-record openat events (SYSCALL, CWD, PATH, PROCTITLE, EOE).
//   npx tsx auditd/output-bench.ts [dir] [seconds-per-case]
// The core is simulated as a reader delivering batches of 13 events (65 records, about one
// recvmmsg of 64) with up to 4 writes outstanding.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatLogBatch } from './format.ts';
import { createLogSink, type FlushMode } from './log-writer.ts';
import { openatEvents } from '../test/fixtures/synthetic-records.ts';

const dir = mkdtempSync(join(process.argv[2] ?? tmpdir(), 'output-bench-'));
const seconds = Number(process.argv[3] ?? 3);
const EVENTS_PER_BATCH = 13;
const batches = Array.from({ length: 512 }, (_, i) => openatEvents(EVENTS_PER_BATCH, i * EVENTS_PER_BATCH + 1));
const recordsPerBatch = batches[0].length;

function benchFormat(): void {
  let records = 0;
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  let i = 0;
  while (Date.now() < end) {
    for (let k = 0; k < 200; k++) {
      bytes += formatLogBatch(batches[i++ & 511]).buf.length;
      records += recordsPerBatch;
    }
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  report('format only', records / s, bytes / s);
}

async function benchWrite(flush: FlushMode, freq: number): Promise<void> {
  const logFile = join(dir, `${flush}.log`);
  const sink = await createLogSink({
    logFile, flush, freq, maxLogFileMiB: 0, numLogs: 1, maxLogFileAction: 'ignore',
    spaceLeftMiB: 0, spaceLeftAction: 'ignore', adminSpaceLeftMiB: 0, adminSpaceLeftAction: 'ignore',
    diskFullAction: 'ignore', diskErrorAction: 'syslog',
  });
  let records = 0;
  let i = 0;
  const t0 = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      await sink.write(batches[i++ & 511]);
      records += recordsPerBatch;
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await sink.close();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const st = sink.stats();
  report(`write flush=${flush}${flush.startsWith('incr') ? ` freq=${freq}` : ''}`, records / s, st.bytesWritten / s, st.fsyncs);
  rmSync(logFile, { force: true });
}

function report(name: string, recPerS: number, bytesPerS: number, fsyncs?: number): void {
  const ev = recPerS / 5;
  process.stdout.write(
    `${name.padEnd(36)} ${Math.round(recPerS).toLocaleString('en-US').padStart(11)} records/s ` +
      `${Math.round(ev).toLocaleString('en-US').padStart(10)} events/s ${(bytesPerS / 1048576).toFixed(1).padStart(7)} MiB/s` +
      (fsyncs !== undefined ? `  fsyncs ${fsyncs}` : '') + '\n',
  );
}

try {
  process.stdout.write(`dir ${dir}, ${seconds} s per case, batches of ${recordsPerBatch} records\n`);
  benchFormat();
  await benchWrite('none', 0);
  await benchWrite('incremental_async', 50);
  await benchWrite('incremental', 50);
  await benchWrite('incremental', 1000);
  await benchWrite('data', 0);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
