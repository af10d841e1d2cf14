// The log reader reads RAW/ENRICHED lines from the read stream's bytes; it must count exactly
// what reading each line as text (node:readline, then the format's parse) counts, for any log
// and wherever the chunks cut it.
import t from 'tap';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { LogScanner, type LogScan } from '../../../harness/verdict/log-events.ts';
import { ENRICHED, RAW, type LogFormat } from '../../../harness/verdict/log-format.ts';
import { jsonLinesFormat } from '../../../harness/verdict/log-format-json.ts';

const AUID = 4_200_000_001;
const PID = 42;

async function byText(chunks: Buffer[], format: LogFormat): Promise<LogScan> {
  const s = new LogScanner({ auid: AUID, loadPids: [PID], format, window: 3 });
  const rl = createInterface({ input: Readable.from(chunks), crlfDelay: Infinity });
  for await (const line of rl) s.line(line);
  return s.finish();
}

function byBytes(chunks: Buffer[], format: LogFormat): LogScan {
  const s = new LogScanner({ auid: AUID, loadPids: [PID], format, window: 3 });
  for (const c of chunks) s.bytes(c);
  s.endOfFile();
  return s.finish();
}

const plain = (s: LogScan) => ({
  ...s, incompleteSerials: [...s.incompleteSerials], serials: [...s.serials],
  byLoadPid: [...s.byLoadPid].sort(), perSecond: [...s.perSecond].sort(),
});

const serial = fc.integer({ min: 1, max: 6 });
const value = fc.oneof(fc.constantFrom(String(AUID), '1000', String(PID), '7', '', '0x2a', '-1', '+3', '1e2', '99999999999999999', '"q"', 'ä', '\ufffd'));
const field = fc.tuple(fc.constantFrom('auid', 'pid', 'ppid', 'items', 'item', 'uid', 'xauid', 'msg'), value).map(([k, v]) => `${k}=${v}`);
const type = fc.constantFrom('SYSCALL', 'PATH', 'CWD', 'PROCTITLE', 'LOGIN', 'USER', 'USER_CMD', 'DAEMON_ERR', 'UNKNOWN[1599]', 'BOGUS', '', 'SYS\tCALL', 'PÄTH');
const record = fc.tuple(type, serial, fc.array(field, { maxLength: 6 }), fc.constantFrom('', '\x1dAUID="x" auid=1000', '\x1d\x1d', ' lost 5 dropped'))
  .map(([ty, n, fs, tail]) => `type=${ty} msg=audit(1700000000.${String(n).padStart(3, '0')}:${n}): ${fs.join(' ')}${tail}`);
const line = fc.oneof({ weight: 8, arbitrary: record }, { weight: 1, arbitrary: fc.constantFrom('', 'garbage', 'type=SYSCALL msg=audit(1.2:x): auid=1', 'type=PATH msg=audit(17.0:3)', '\ufefftype=CWD msg=audit(1.0:1): cwd="/"') });
const eol = fc.constantFrom('\n', '\n', '\n', '\r\n', '\r');
const log = fc.tuple(fc.array(fc.tuple(line, eol), { maxLength: 30 }), fc.boolean())
  .map(([ls, lastEol]) => ls.map(([l, e], i) => (i === ls.length - 1 && !lastEol ? l : l + e)).join(''));

function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) { out.push(bytes.subarray(prev, p)); prev = p; }
  return out;
}

for (const format of [RAW, ENRICHED]) {
  t.test(`${format.name}: bytes read as the text is, wherever chunks cut`, async (t) => {
    await fc.assert(fc.asyncProperty(log, fc.array(fc.nat(), { maxLength: 8 }), async (text, at) => {
      const chunks = cut(Buffer.from(text), at);
      t.same(plain(byBytes(chunks, format)), plain(await byText(chunks, format)));
    }), { numRuns: 400 });
  });
}

t.test('a JSON-lines format is read line by line through parse()', async (t) => {
  const f = jsonLinesFormat({ serial: 'serial', type: 'type' });
  const text = `{"serial":1,"type":"SYSCALL","auid":${AUID},"pid":${PID},"items":0}\r\n{"serial":1,"type":"PROCTITLE"}\nnot json\n{"serial":2,"type":1300,"auid":1}`;
  const chunks = cut(Buffer.from(text), [3, 40, 41, 70]);
  const b = byBytes(chunks, f);
  t.same(plain(b), plain(await byText(chunks, f)));
  t.equal(b.events, 1);
  t.equal(b.complete, 1);
  t.equal(b.malformedLines, 1);
});

t.test('a line longer than the carry buffer, cut across many chunks', async (t) => {
  const long = `type=SYSCALL msg=audit(1.000:1): items=0 pid=${PID} auid=${AUID} a=${'x'.repeat(300_000)}\ntype=PROCTITLE msg=audit(1.000:1): p=1\n`;
  const bytes = Buffer.from(long);
  const chunks = cut(bytes, Array.from({ length: 40 }, (_, i) => i * 7919));
  const b = byBytes(chunks, ENRICHED);
  t.same(plain(b), plain(await byText(chunks, ENRICHED)));
  t.equal(b.complete, 1);
});
