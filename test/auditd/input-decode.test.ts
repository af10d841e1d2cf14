import t from 'tap';
import { classifyDatagram, packBatch, unpackBatch } from '../../auditd/input-decode.ts';
import { FLAG_FOREIGN_SENDER, MSG_TRUNC } from '../../auditd/native/audit-socket.ts';

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
