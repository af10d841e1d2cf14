import t from 'tap';
import { batchCapacity, classifyDatagram, packBatch, unpackBatch } from '../../auditd/input-decode.ts';
import { FLAG_FOREIGN_SENDER, MSG_TRUNC } from '../../auditd/native/audit-socket.ts';
import { formatGroups, formatLogLine, LOG_FORMAT, PLUGIN_FORMAT } from '../../auditd/format.ts';

function dgram(type: number, payload: Buffer, nlmsgLen = payload.length): Buffer {
  const b = Buffer.alloc(16 + payload.length);
  b.writeUInt32LE(nlmsgLen, 0); // unicast audit records carry the payload length here
  b.writeUInt16LE(type, 4);
  b.writeUInt32LE(7, 8);
  payload.copy(b, 16);
  return b;
}

t.test('records: datagram length bounds the text, trailing NULs stripped', async (t) => {
  const text = 'audit(1.000:1): arch=c000003e syscall=257';
  const d = dgram(1300, Buffer.from(`${text}\0\0`), 3);
  const c = classifyDatagram(d, 0, d.length, 0);
  t.equal(c.kind, 'record');
  if (c.kind === 'record') {
    t.equal(c.type, 1300);
    t.equal(d.subarray(c.start, c.end).toString(), text);
  }
  const login = dgram(1006, Buffer.from('audit(1.0:2): login'));
  t.equal(classifyDatagram(login, 0, login.length, 0).kind, 'record', 'LOGIN (1006) is an event');
});

t.test('acks, control and malformed data are classified, never thrown', async (t) => {
  const ack = Buffer.alloc(20);
  ack.writeUInt16LE(2, 4);
  ack.writeUInt32LE(9, 8);
  ack.writeInt32LE(-17, 16);
  t.same(classifyDatagram(ack, 0, 20, 0), { kind: 'ack', seq: 9, errno: 17 });
  t.same(classifyDatagram(dgram(1329, Buffer.from('x')), 0, 17, 0), { kind: 'control' });
  t.match(classifyDatagram(Buffer.alloc(8), 0, 8, 0), { kind: 'malformed', reason: 'short' });
  t.match(classifyDatagram(ack, 0, 18, 0), { kind: 'malformed', reason: 'short' });
  t.match(classifyDatagram(dgram(1300, Buffer.from('x')), 0, 17, MSG_TRUNC), { kind: 'malformed', reason: 'truncated' });
  t.match(classifyDatagram(dgram(1300, Buffer.from('x')), 0, 17, FLAG_FOREIGN_SENDER), { kind: 'malformed', reason: 'foreign' });
  t.match(classifyDatagram(dgram(42, Buffer.from('x')), 0, 17, 0), { kind: 'malformed', reason: 'unknown_type' });
  t.match(classifyDatagram(dgram(4000, Buffer.from('x')), 0, 17, 0), { kind: 'malformed', reason: 'unknown_type' });
});

t.test('pack/unpack round trip', async (t) => {
  const src = Buffer.from('xxhelloyyworld');
  const ab = packBatch(src, [1300, 2, 7, 1320, 9, 14, 1307, 3, 3], 3);
  t.equal(ab.byteLength, 8 * 3 + 5 + 5);
  const recs = unpackBatch(ab);
  t.same(recs.map((r) => [r.type, r.text.toString()]), [[1300, 'hello'], [1320, 'world'], [1307, '']]);
});

t.test('a batch in a reused buffer: only its first `length` bytes are records', async (t) => {
  const src = Buffer.from('xxhelloyyworld');
  const packed = new Uint8Array(packBatch(src, [1300, 2, 7, 1320, 9, 14], 2));
  const reused = new ArrayBuffer(batchCapacity(packed.length));
  new Uint8Array(reused).fill(0x41); // what an earlier batch left behind
  new Uint8Array(reused).set(packed);
  const recs = unpackBatch(reused, packed.length);
  t.same(recs.map((r) => [r.type, r.text.toString()]), [[1300, 'hello'], [1320, 'world']]);
  t.ok(unpackBatch(reused).length > 2, 'the whole buffer would read the leftovers as records');
});

t.test('batch buffers: power-of-two sizes from 1 KiB, less than twice what they hold', async (t) => {
  t.equal(batchCapacity(1), 1024);
  t.equal(batchCapacity(1024), 1024);
  t.equal(batchCapacity(1025), 2048);
  t.equal(batchCapacity(600 * 1024), 1024 * 1024);
  for (const n of [1, 1000, 5000, 70000, 1 << 20]) {
    const c = batchCapacity(n);
    t.ok(c >= n && (c < 2 * n || c === 1024), `${n} -> ${c}`);
  }
});

t.test('oversized and lying datagrams: bounded by the datagram, never by nlmsg_len', async (t) => {
  // nlmsg_len claims far more than arrived: the text ends where the datagram does
  const d = dgram(1300, Buffer.from('audit(1.000:1): a=1'), 0xffffffff);
  const c = classifyDatagram(d, 0, d.length, 0);
  t.match(c, { kind: 'record', type: 1300 });
  if (c.kind === 'record') t.equal(d.subarray(c.start, c.end).toString(), 'audit(1.000:1): a=1');
  // a datagram bigger than the receive slot arrives cut short with MSG_TRUNC: counted, not parsed
  const big = dgram(1300, Buffer.alloc(20000, 0x41));
  t.match(classifyDatagram(big, 0, 16 * 1024, MSG_TRUNC), { kind: 'malformed', reason: 'truncated' });
  // the classifier reads only [off, off+len): a record in the middle of a receive buffer
  const buf = Buffer.alloc(3 * 64, 0xee);
  const mid = dgram(1307, Buffer.from('audit(1.000:1): cwd="/"'));
  mid.copy(buf, 64);
  const m = classifyDatagram(buf, 64, mid.length, 0);
  t.match(m, { kind: 'record', type: 1307, start: 80, end: 64 + mid.length });
  // a header and nothing else: a record with empty text (formatted as such, never a crash)
  const empty = dgram(1300, Buffer.alloc(0));
  t.match(classifyDatagram(empty, 0, 16, 0), { kind: 'record', start: 16, end: 16 });
  // only NULs after the header: stripped to empty
  const nuls = dgram(1300, Buffer.alloc(32));
  t.match(classifyDatagram(nuls, 0, nuls.length, 0), { kind: 'record', start: 16, end: 16 });
});

t.test('type range: 1000..2999 are records (unknown ones print UNKNOWN[n]), the rest are counted', async (t) => {
  const kind = (type: number) => classifyDatagram(dgram(type, Buffer.from('x')), 0, 17, 0);
  t.equal(kind(999).kind, 'malformed');
  t.equal(kind(1000).kind, 'record');
  t.equal(kind(2999).kind, 'record');
  t.equal(kind(3000).kind, 'malformed');
  t.equal(kind(0).kind, 'malformed');
  t.equal(kind(65535).kind, 'malformed');
  t.equal(kind(1).kind, 'control', 'NLMSG_NOOP');
  t.equal(kind(3).kind, 'control', 'NLMSG_DONE');
  const rec = { type: 2999, text: Buffer.from('audit(1.000:1): x=1') };
  t.equal(formatLogLine(rec), 'type=UNKNOWN[2999] msg=audit(1.000:1): x=1');
});

t.test('garbage through the whole decode path: classify, pack, unpack, format; never throws, one line per record', async (t) => {
  // deterministic PRNG so a failure reproduces
  let seed = 0x2545f491;
  const rnd = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 2 ** 32; };
  const SLOT = 512;
  const N = 64;
  const kinds = { record: 0, ack: 0, control: 0, malformed: 0 };
  let lines = 0;
  let records = 0;
  const badSlices: string[] = [];
  let badLines = 0;
  for (let round = 0; round < 200; round++) {
    const rx = new Uint8Array(SLOT * N);
    const slices: number[] = [];
    let count = 0;
    for (let i = 0; i < N; i++) {
      const len = Math.floor(rnd() * (SLOT + 1));
      for (let j = 0; j < len; j++) rx[i * SLOT + j] = Math.floor(rnd() * 256);
      // half the time make it look like an audit record, with a random type near the range
      if (rnd() < 0.5 && len >= 16) { rx[i * SLOT + 4] = 0xe8 + Math.floor(rnd() * 8); rx[i * SLOT + 5] = 0x03 + Math.floor(rnd() * 8); }
      const flags = rnd() < 0.05 ? MSG_TRUNC : rnd() < 0.05 ? FLAG_FOREIGN_SENDER : 0;
      const c = classifyDatagram(rx, i * SLOT, len, flags);
      kinds[c.kind]++;
      if (c.kind === 'record') {
        if (!(c.start >= i * SLOT + 16 && c.start <= c.end && c.end <= i * SLOT + len)) badSlices.push(`round ${round} datagram ${i}`);
        slices.push(c.type, c.start, c.end);
        count++;
      }
    }
    const recs = unpackBatch(packBatch(rx, slices, count));
    if (recs.length !== count) badLines++;
    records += count;
    const f = formatGroups([recs], PLUGIN_FORMAT, undefined, undefined, true);
    // plugins get one line per record, and no record spills onto two lines
    if (f.lines !== count || f.buf.toString('latin1').split('\n').length - 1 !== count) badLines++;
    const log = formatGroups([recs], LOG_FORMAT);
    if (log.buf.toString('latin1').split('\n').length - 1 !== log.lines) badLines++;
    lines += log.lines;
  }
  t.same(badSlices, [], 'every record slice lies inside its datagram');
  t.equal(badLines, 0, 'unpack gives back every record; each record is exactly one line (plugin and log)');
  t.comment(`classified ${JSON.stringify(kinds)}; ${records} records, ${lines} log lines`);
  t.ok(kinds.record > 1000 && kinds.malformed > 1000, 'the fuzz reached both records and malformed data');
});
