// Datagram -> record decoding for the input thread, and the compact batch layout it posts to the
// main thread. Pure functions: unit-tested without a kernel.
//
// Batch layout (one shared batch buffer, no per-record allocation on the way across):
//   repeated { u32 type, u32 length, length bytes of text }   (little endian, unpadded)
import { FLAG_FOREIGN_SENDER, MSG_TRUNC } from './native/audit-socket.ts';
import type { AuditRecord } from './types.ts';

export const NLMSG_HDRLEN = 16;
const NLMSG_NOOP = 1;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
/** The kernel probes a registered daemon with this when someone else tries to register. */
export const AUDIT_REPLACE = 1329;
/** Lowest and highest audit message types (linux/audit.h). 1000-1099 are mostly control replies,
 *  which only come as answers to requests we never send from this socket, but the kernel also
 *  emits events there (1006 LOGIN when a task sets its loginuid), so the whole range is records;
 *  names unknown to us print as UNKNOWN[n] like auditd. Below 1000 is netlink's own range. */
const FIRST_EVENT_TYPE = 1000;
const LAST_EVENT_TYPE = 2999;

export type DatagramKind =
  | { kind: 'record'; type: number; start: number; end: number }
  | { kind: 'ack'; seq: number; errno: number }
  | { kind: 'control' }
  | { kind: 'malformed'; reason: 'short' | 'truncated' | 'foreign' | 'unknown_type'; detail: string };

/**
 * Classify one datagram of `len` bytes at `buf[off]`. The record text is [start, end): the payload
 * after the netlink header with trailing NULs stripped. The datagram length, not nlmsg_len, bounds
 * the payload (the kernel writes the payload length into nlmsg_len of unicast audit records).
 */
export function classifyDatagram(buf: Uint8Array, off: number, len: number, flags: number): DatagramKind {
  const rt = recordType(buf, off, len, flags);
  if (rt !== 0) return { kind: 'record', type: rt, start: off + NLMSG_HDRLEN, end: recordTextEnd(buf, off, len) };
  if (flags & FLAG_FOREIGN_SENDER) return { kind: 'malformed', reason: 'foreign', detail: 'datagram not sent by the kernel' };
  if (flags & MSG_TRUNC) return { kind: 'malformed', reason: 'truncated', detail: `datagram longer than the ${len}-byte slot` };
  if (len < NLMSG_HDRLEN) return { kind: 'malformed', reason: 'short', detail: `${len}-byte datagram has no netlink header` };
  const type = buf[off + 4] | (buf[off + 5] << 8);
  const seq = (buf[off + 8] | (buf[off + 9] << 8) | (buf[off + 10] << 16) | (buf[off + 11] << 24)) >>> 0;
  if (type === NLMSG_ERROR) {
    if (len < NLMSG_HDRLEN + 4) return { kind: 'malformed', reason: 'short', detail: 'netlink error without errno' };
    const view = new DataView(buf.buffer, buf.byteOffset + off + NLMSG_HDRLEN, 4);
    return { kind: 'ack', seq, errno: -view.getInt32(0, true) };
  }
  if (type === NLMSG_NOOP || type === NLMSG_DONE || type === AUDIT_REPLACE) return { kind: 'control' };
  if (type < FIRST_EVENT_TYPE || type > LAST_EVENT_TYPE) {
    return { kind: 'malformed', reason: 'unknown_type', detail: `netlink message type ${type} is not an audit event` };
  }
  return { kind: 'record', type, start: off + NLMSG_HDRLEN, end: recordTextEnd(buf, off, len) };
}

/**
 * The input thread's per-record fast path, without an object per datagram: the audit message type
 * when the datagram is plainly a record from the kernel (no flags, whole netlink header, an event
 * type), else 0, and then classifyDatagram says what it is.
 */
export function recordType(buf: Uint8Array, off: number, len: number, flags: number): number {
  if (flags !== 0 || len < NLMSG_HDRLEN) return 0;
  const type = buf[off + 4] | (buf[off + 5] << 8);
  return type >= FIRST_EVENT_TYPE && type <= LAST_EVENT_TYPE && type !== AUDIT_REPLACE ? type : 0;
}

/** End of a record's text: the datagram's end less trailing NULs (the text starts after the header). */
export function recordTextEnd(buf: Uint8Array, off: number, len: number): number {
  const start = off + NLMSG_HDRLEN;
  let end = off + len;
  while (end > start && buf[end - 1] === 0) end--;
  return end;
}

export const RECORD_HEADER = 8;

/** Batch buffers come in power-of-two sizes from 1 KiB, so the input thread can reuse them; the
 *  queue counts the whole buffer (less than twice its records' bytes), the memory it holds. */
export function batchCapacity(used: number): number {
  let c = 1024;
  while (c < used) c *= 2;
  return c;
}

/** Unpack a posted batch (its first `length` bytes) into records whose text views the batch
 *  buffer (no copies). */
export function unpackBatch(ab: ArrayBuffer | SharedArrayBuffer, length = ab.byteLength): AuditRecord[] {
  const out: AuditRecord[] = [];
  const view = new DataView(ab, 0, length);
  const bytes = Buffer.from(ab, 0, length);
  let off = 0;
  while (off + RECORD_HEADER <= length) {
    const type = view.getUint32(off, true);
    const len = view.getUint32(off + 4, true);
    off += RECORD_HEADER;
    out.push({ type, text: bytes.subarray(off, off + len) });
    off += len;
  }
  return out;
}

/** Pack records (as [type, start, end] slices of `src`) into a fresh batch buffer. */
export function packBatch(src: Uint8Array, slices: readonly number[], count: number): ArrayBuffer {
  let total = 0;
  for (let i = 0; i < count; i++) total += RECORD_HEADER + slices[i * 3 + 2] - slices[i * 3 + 1];
  const ab = new ArrayBuffer(total);
  const view = new DataView(ab);
  const dst = new Uint8Array(ab);
  let off = 0;
  for (let i = 0; i < count; i++) {
    const type = slices[i * 3];
    const start = slices[i * 3 + 1];
    const end = slices[i * 3 + 2];
    view.setUint32(off, type, true);
    view.setUint32(off + 4, end - start, true);
    dst.set(src.subarray(start, end), off + RECORD_HEADER);
    off += RECORD_HEADER + end - start;
  }
  return ab;
}
