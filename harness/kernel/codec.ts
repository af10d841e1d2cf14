// Byte layouts of the kernel's audit control messages. The only place (with the daemon's native
// socket) that knows where the bytes go; everything else uses these typed encoders/decoders.
import { AuditProtocolError } from './errors.ts';

export const NETLINK_AUDIT = 9;
export const NLMSG_HDRLEN = 16;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;

export const AuditMsg = {
  GET: 1000,
  SET: 1001,
  SIGNAL_INFO: 1010,
  ADD_RULE: 1011,
  DEL_RULE: 1012,
  LIST_RULES: 1013,
  SET_FEATURE: 1018,
  GET_FEATURE: 1019,
} as const;

export const StatusMask = {
  ENABLED: 0x1,
  FAILURE: 0x2,
  PID: 0x4,
  RATE_LIMIT: 0x8,
  BACKLOG_LIMIT: 0x10,
  BACKLOG_WAIT_TIME: 0x20,
  LOST: 0x40,
  BACKLOG_WAIT_TIME_ACTUAL: 0x80,
} as const;

/** struct audit_status, in kernel units (backlog wait times in jiffies). */
export interface RawStatus {
  mask: number;
  enabled: number;
  failure: number;
  pid: number;
  rateLimit: number;
  backlogLimit: number;
  lost: number;
  backlog: number;
  featureBitmap: number;
  /** kernel jiffies */
  backlogWaitTime: number;
  /** kernel jiffies; 0 on 40-byte (older) kernels */
  backlogWaitTimeActual: number;
  /** payload size the kernel sent: 44 on 5.x+, 40 before backlog_wait_time_actual, 32 oldest */
  size: number;
}

// Field order of struct audit_status; kernels grew it at the end over time.
const STATUS_FIELDS = [
  'mask', 'enabled', 'failure', 'pid', 'rateLimit', 'backlogLimit', 'lost', 'backlog',
  'featureBitmap', 'backlogWaitTime', 'backlogWaitTimeActual',
] as const;
export const STATUS_SIZE = STATUS_FIELDS.length * 4;
const STATUS_MIN_SIZE = 32;

export function decodeStatus(payload: Uint8Array): RawStatus {
  if (payload.length < STATUS_MIN_SIZE) {
    throw new AuditProtocolError(
      `audit status reply is ${payload.length} bytes; at least ${STATUS_MIN_SIZE} expected`,
    );
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const size = Math.min(payload.length, STATUS_SIZE);
  const out = { size } as RawStatus;
  STATUS_FIELDS.forEach((name, i) => {
    out[name] = i * 4 + 4 <= size ? view.getUint32(i * 4, true) : 0;
  });
  return out;
}

/** Encode an AUDIT_SET payload: only the fields named in `mask` are acted on by the kernel. */
export function encodeStatus(fields: Partial<Omit<RawStatus, 'size'>> & { mask: number }): Buffer {
  const buf = Buffer.alloc(STATUS_SIZE);
  STATUS_FIELDS.forEach((name, i) => buf.writeUInt32LE((fields[name] ?? 0) >>> 0, i * 4));
  return buf;
}

/** struct audit_features: vers, mask, features, lock. */
export interface RawFeatures {
  version: number;
  mask: number;
  features: number;
  lock: number;
}
export const FEATURE_ONLY_UNSET_LOGINUID = 0;
export const FEATURE_LOGINUID_IMMUTABLE = 1;

export function decodeFeatures(payload: Uint8Array): RawFeatures {
  if (payload.length < 16) {
    throw new AuditProtocolError(`audit features reply is ${payload.length} bytes; 16 expected`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    version: view.getUint32(0, true),
    mask: view.getUint32(4, true),
    features: view.getUint32(8, true),
    lock: view.getUint32(12, true),
  };
}

/** A full netlink message (header + payload), as the daemon's own socket must send it. */
export function encodeNlmsg(type: number, flags: number, seq: number, payload: Uint8Array, portId = 0): Buffer {
  const len = NLMSG_HDRLEN + payload.length;
  const buf = Buffer.alloc((len + 3) & ~3);
  buf.writeUInt32LE(len, 0);
  buf.writeUInt16LE(type, 4);
  buf.writeUInt16LE(flags, 6);
  buf.writeUInt32LE(seq >>> 0, 8);
  buf.writeUInt32LE(portId >>> 0, 12);
  Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).copy(buf, NLMSG_HDRLEN);
  return buf;
}

export interface NlmsgHeader {
  len: number;
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

export function decodeNlmsgHeader(buf: Uint8Array, offset = 0): NlmsgHeader {
  if (buf.length - offset < NLMSG_HDRLEN) {
    throw new AuditProtocolError(`netlink message of ${buf.length - offset} bytes is shorter than its header`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset + offset, NLMSG_HDRLEN);
  return {
    len: view.getUint32(0, true),
    type: view.getUint16(4, true),
    flags: view.getUint16(6, true),
    seq: view.getUint32(8, true),
    pid: view.getUint32(12, true),
  };
}

/** The payload of an NLMSG_ERROR: a negative errno (0 = ACK). */
export function decodeNlmsgError(payload: Uint8Array): number {
  if (payload.length < 4) throw new AuditProtocolError('netlink error message has no errno');
  return new DataView(payload.buffer, payload.byteOffset, 4).getInt32(0, true);
}

/** AUDIT_USER-range message payload: the text, NUL-terminated as the kernel expects. */
export function encodeUserMessage(text: string): Buffer {
  return Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])]);
}

/** Longest user message text the kernel records whole (MAX_AUDIT_MESSAGE_LENGTH 8970 minus room for headers). */
export const MAX_USER_MESSAGE_TEXT = 8560;
