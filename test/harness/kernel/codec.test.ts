// Pure byte-level tests: what the kernel may send, including garbage, never crashes the decoder.
import t from 'tap';
import { decodeFeatures, decodeNlmsgHeader, decodeStatus, encodeNlmsg, encodeStatus, StatusMask, STATUS_SIZE } from '../../../harness/kernel/codec.ts';
import { checkReplies, expectReply, guardStatusChange, parseReplies, toAuditStatus } from '../../../harness/kernel/audit-control.ts';
import { AuditError, AuditProtocolError } from '../../../harness/kernel/errors.ts';

t.test('status round trip, 44-byte form', async (t) => {
  const buf = encodeStatus({ mask: StatusMask.BACKLOG_LIMIT, enabled: 1, failure: 1, backlogLimit: 8192, backlogWaitTime: 250, backlogWaitTimeActual: 7, lost: 3 });
  t.equal(buf.length, STATUS_SIZE);
  const s = decodeStatus(buf);
  t.match(s, { mask: StatusMask.BACKLOG_LIMIT, enabled: 1, backlogLimit: 8192, backlogWaitTime: 250, backlogWaitTimeActual: 7, lost: 3, size: 44 });
});

t.test('older kernels: 40-byte status has no backlog_wait_time_actual', async (t) => {
  const buf = encodeStatus({ mask: 0, backlogWaitTime: 500, backlogWaitTimeActual: 9 }).subarray(0, 40);
  const s = decodeStatus(buf);
  t.equal(s.size, 40);
  t.equal(s.backlogWaitTime, 500);
  t.equal(s.backlogWaitTimeActual, 0);
});

t.test('jiffies convert with the kernel HZ', async (t) => {
  const st = toAuditStatus(encodeStatus({ mask: 0, backlogWaitTime: 15000, backlogWaitTimeActual: 250 }), 250);
  t.equal(st.backlogWaitTimeMs, 60000);
  t.equal(st.backlogWaitTimeActualMs, 1000);
});

t.test('truncated status and features are protocol errors', async (t) => {
  t.throws(() => decodeStatus(Buffer.alloc(12)), AuditProtocolError);
  t.throws(() => decodeFeatures(Buffer.alloc(8)), AuditProtocolError);
  t.throws(() => decodeNlmsgHeader(Buffer.alloc(10)), AuditProtocolError);
});

t.test('parseReplies: well-formed, truncated and garbage datagrams', async (t) => {
  const a = encodeNlmsg(1000, 0, 7, encodeStatus({ mask: 0, enabled: 1 }));
  const b = encodeNlmsg(3, 2, 7, Buffer.alloc(4));
  const both = parseReplies(Buffer.concat([a, b]));
  t.same(both.map((m) => [m.type, m.seq]), [[1000, 7], [3, 7]]);
  t.equal(toAuditStatus(both[0]!.data).enabled, 1);
  t.throws(() => parseReplies(a.subarray(0, a.length - 8)), AuditProtocolError, 'truncated: length claims more than arrived');
  const garbage = Buffer.alloc(64, 0xff);
  t.throws(() => parseReplies(garbage), AuditProtocolError, 'garbage header');
  const tooShort = Buffer.alloc(20);
  tooShort.writeUInt32LE(4, 0); // a length smaller than the header itself
  t.throws(() => parseReplies(tooShort), AuditProtocolError);
  t.same(parseReplies(Buffer.alloc(0)), []);
});

t.test('error replies become typed errors that say what to do', async (t) => {
  const err = (errno: number) => ({ type: 2, flags: 0, seq: 1, data: (() => { const b = Buffer.alloc(20); b.writeInt32LE(errno, 0); return b; })() });
  t.doesNotThrow(() => checkReplies('set status', [err(0)]), 'ACK is fine');
  t.throws(() => checkReplies('set status', [err(-1)]), { code: 'EPERM', message: /CAP_AUDIT_CONTROL/ });
  t.throws(() => checkReplies('register daemon', [err(-17)]), { code: 'EEXIST', message: /another audit daemon/ });
  t.throws(() => checkReplies('set status', [err(-22)]), { code: 'EINVAL', message: /invalid/ });
  t.throws(() => expectReply('get status', [err(0)], 1000), AuditProtocolError, 'an ACK where a status was due');
  t.throws(() => checkReplies('x', [{ type: 2, flags: 0, seq: 1, data: Buffer.alloc(2) }]), AuditProtocolError, 'error without errno');
});

t.test('guards refuse enabled=2, failure=2 and out-of-range values before the kernel sees them', async (t) => {
  t.throws(() => guardStatusChange({ enabled: 2 as 1 }), { message: /enabled=2 is refused/ });
  t.throws(() => guardStatusChange({ failure: 2 as 1 }), { message: /failure=2 is refused/ });
  t.throws(() => guardStatusChange({ backlogWaitTimeMs: 601_000 }), AuditError);
  t.throws(() => guardStatusChange({ backlogLimit: -1 }), AuditError);
  t.throws(() => guardStatusChange({ rateLimit: 1.5 }), AuditError);
  t.doesNotThrow(() => guardStatusChange({ enabled: 1, failure: 1, backlogLimit: 8192, backlogWaitTimeMs: 1000 }));
});
