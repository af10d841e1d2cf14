// Typed client for the kernel's audit control interface (request/reply on NETLINK_AUDIT).
// The `netlink` package carries this traffic well; it must never carry the event stream
// (it aborts the process after a reader stops reading: see auditd/native/).
import { readFileSync } from 'node:fs';
import { RawNetlinkSocket } from 'netlink';
import {
  AuditMsg, NETLINK_AUDIT, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_REQUEST, NLMSG_HDRLEN, StatusMask,
  decodeNlmsgHeader, encodeNlmsg, decodeFeatures, decodeNlmsgError,
  decodeStatus, encodeStatus, encodeUserMessage, FEATURE_LOGINUID_IMMUTABLE, MAX_USER_MESSAGE_TEXT,
  type RawFeatures, type RawStatus,
} from './codec.ts';
import { AuditError, AuditProtocolError, auditErrorFromErrno } from './errors.ts';
import { jiffiesToMs, kernelHz, msToJiffies } from './kernel-hz.ts';
import { isUserMessageType } from './record-types.ts';

/** The kernel's status as decoded (wait times in jiffies), with the wait times also in ms. */
export interface AuditStatus extends Omit<RawStatus, 'mask' | 'size'> {
  /** backlogWaitTime converted with the kernel's HZ */
  backlogWaitTimeMs: number;
  backlogWaitTimeActualMs: number;
}

export interface StatusChange {
  enabled?: 0 | 1;
  failure?: 0 | 1;
  pid?: number;
  rateLimit?: number;
  backlogLimit?: number;
  backlogWaitTimeMs?: number;
  /** raw jiffies, used when restoring a snapshot exactly */
  backlogWaitTimeJiffies?: number;
}

export interface AuditFeatures extends RawFeatures {
  loginuidImmutable: boolean;
}

export interface RegisteredDaemon {
  pid: number;
  /** command name from /proc/PID/comm, or null when the pid is gone */
  comm: string | null;
}

/** A reply as the netlink layer hands it over: type, flags and payload. */
export interface ReplyMessage {
  type: number;
  flags: number;
  seq: number;
  data: Uint8Array;
}

/** Split a datagram into netlink messages; a malformed one is a protocol error, not a crash. */
export function parseReplies(datagram: Uint8Array): ReplyMessage[] {
  const out: ReplyMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= datagram.length) {
    const h = decodeNlmsgHeader(datagram, off);
    if (h.len < NLMSG_HDRLEN || off + h.len > datagram.length) {
      throw new AuditProtocolError(
        `netlink message at offset ${off} claims ${h.len} bytes; ${datagram.length - off} remain`);
    }
    out.push({ type: h.type, flags: h.flags, seq: h.seq, data: datagram.subarray(off + NLMSG_HDRLEN, off + h.len) });
    off += (h.len + 3) & ~3;
  }
  if (off < datagram.length && datagram.length - off >= 4) {
    throw new AuditProtocolError(`${datagram.length - off} trailing bytes after the last netlink message`);
  }
  return out;
}

const REQUEST_TIMEOUT_MS = 3000;

interface Pending {
  /** the message type that completes the request: the reply itself, NLMSG_DONE, or the ACK */
  until: number;
  replies: ReplyMessage[];
  finish: (replies: ReplyMessage[]) => void;
  fail: (err: Error) => void;
}
// The kernel rejects a backlog wait of more than 10 minutes with EINVAL.
const MAX_BACKLOG_WAIT_MS = 10 * 60 * 1000;

/** Throw the typed error an NLMSG_ERROR reply carries; ignore ACKs (errno 0). */
export function checkReplies(operation: string, replies: ReplyMessage[], detail = ''): void {
  for (const msg of replies) {
    if (msg.type !== NLMSG_ERROR) continue;
    const errno = decodeNlmsgError(msg.data);
    if (errno !== 0) throw auditErrorFromErrno(operation, errno, detail);
  }
}

/** The payload of the first reply of `type`, or a protocol error naming what came instead. */
export function expectReply(operation: string, replies: ReplyMessage[], type: number): Uint8Array {
  checkReplies(operation, replies);
  const msg = replies.find((m) => m.type === type);
  if (!msg) {
    const got = replies.map((m) => m.type).join(', ') || 'nothing';
    throw new AuditProtocolError(`${operation}: expected a reply of type ${type}, got ${got}`);
  }
  return msg.data;
}

/** Refuse the two settings this project never makes, before they reach the kernel. */
export function guardStatusChange(change: StatusChange): void {
  const check = (name: string, value: number | undefined, max: number) => {
    if (value === undefined) return;
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new AuditError('set status', 'EINVAL', `${name}=${value} is out of range 0..${max}`,
        name === 'enabled' || name === 'failure'
          ? `${name}=2 is refused: it locks audit until reboot or panics the kernel on a lost record`
          : '');
    }
  };
  check('enabled', change.enabled, 1);
  check('failure', change.failure, 1);
  check('pid', change.pid, 0x7fffffff);
  check('rate_limit', change.rateLimit, 0xffffffff);
  check('backlog_limit', change.backlogLimit, 0xffffffff);
  check('backlog_wait_time (ms)', change.backlogWaitTimeMs, MAX_BACKLOG_WAIT_MS);
  check('backlog_wait_time (jiffies)', change.backlogWaitTimeJiffies, msToJiffies(MAX_BACKLOG_WAIT_MS));
}

export function toAuditStatus(payload: Uint8Array, hz = kernelHz().hz): AuditStatus {
  const { mask: _mask, size: _size, ...raw } = decodeStatus(payload);
  return {
    ...raw,
    backlogWaitTimeMs: jiffiesToMs(raw.backlogWaitTime, hz),
    backlogWaitTimeActualMs: jiffiesToMs(raw.backlogWaitTimeActual, hz),
  };
}

export class AuditControl {
  private seq = Math.floor(Math.random() * 0x7fff0000);
  private readonly pending = new Map<number, Pending>();
  /** datagrams that could not be parsed (counted, never thrown out of the socket callback) */
  malformedReplies = 0;

  private constructor(private readonly sock: RawNetlinkSocket) {
    sock.on('message', (buf) => this.onDatagram(buf));
    sock.on('error', () => { this.malformedReplies++; });
    sock.unref();
  }

  static async open(): Promise<AuditControl> {
    try {
      return new AuditControl(new RawNetlinkSocket(NETLINK_AUDIT));
    } catch (err) {
      const e = err as { errno?: number; code?: string; message: string };
      if (typeof e.errno === 'number') throw auditErrorFromErrno('open audit socket', e.errno);
      throw new AuditError('open audit socket', e.code ?? 'EIO', e.message,
        'kernel audit needs Linux with CONFIG_AUDIT=y');
    }
  }

  close(): void {
    for (const p of this.pending.values()) p.fail(new AuditError('request', 'ECANCELED', 'socket closed'));
    this.pending.clear();
    this.sock.close();
  }

  // The kernel sends some replies (AUDIT_GET, AUDIT_LIST_RULES) from a worker thread, after the
  // ACK, so we ask for an ACK only where the ACK is the reply, and match replies by sequence.
  private request(operation: string, type: number, payload: Uint8Array = new Uint8Array(0),
    until: number = NLMSG_ERROR): Promise<ReplyMessage[]> {
    const seq = (this.seq = (this.seq + 1) >>> 0);
    const flags = NLM_F_REQUEST | (until === NLMSG_ERROR ? NLM_F_ACK : 0);
    return new Promise<ReplyMessage[]>((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.pending.delete(seq);
        if (this.pending.size === 0) this.sock.unref();
        fn();
      };
      const timer = setTimeout(() => done(() => reject(new AuditError(operation, 'ETIMEDOUT',
        `no reply from the kernel within ${REQUEST_TIMEOUT_MS} ms`,
        'is kernel audit available (CONFIG_AUDIT=y, not booted with audit=0)?'))), REQUEST_TIMEOUT_MS);
      this.pending.set(seq, {
        until,
        replies: [],
        finish: (r) => done(() => resolve(r)),
        fail: (e) => done(() => reject(e)),
      });
      this.sock.ref();
      this.sock.send(encodeNlmsg(type, flags, seq, payload), { port: 0 }, (err) => {
        if (!err) return;
        this.pending.get(seq)?.fail(typeof err.errno === 'number'
          ? auditErrorFromErrno(operation, err.errno) : new AuditError(operation, 'EIO', err.message));
      });
    });
  }

  private onDatagram(buf: Buffer): void {
    let msgs: ReplyMessage[];
    try {
      msgs = parseReplies(buf);
    } catch {
      this.malformedReplies++;
      return;
    }
    for (const m of msgs) {
      const p = this.pending.get(m.seq);
      if (!p) continue; // late ACKs of answered requests
      const isAck = m.type === NLMSG_ERROR && m.data.length >= 4 && decodeNlmsgError(m.data) === 0;
      // An ACK before the real reply of a GET-style request is not the answer; an error is.
      if (m.type === NLMSG_ERROR && !(isAck && p.until !== NLMSG_ERROR)) { p.finish([...p.replies, m]); continue; }
      if (isAck) continue;
      p.replies.push(m);
      if (m.type === p.until) p.finish(p.replies);
    }
  }

  async getStatus(): Promise<AuditStatus> {
    const replies = await this.request('get status', AuditMsg.GET, undefined, AuditMsg.GET);
    return toAuditStatus(expectReply('get status', replies, AuditMsg.GET));
  }

  async setStatus(change: StatusChange): Promise<void> {
    guardStatusChange(change);
    let mask = 0;
    const fields: Parameters<typeof encodeStatus>[0] = { mask: 0 };
    if (change.enabled !== undefined) { mask |= StatusMask.ENABLED; fields.enabled = change.enabled; }
    if (change.failure !== undefined) { mask |= StatusMask.FAILURE; fields.failure = change.failure; }
    if (change.pid !== undefined) { mask |= StatusMask.PID; fields.pid = change.pid; }
    if (change.rateLimit !== undefined) { mask |= StatusMask.RATE_LIMIT; fields.rateLimit = change.rateLimit; }
    if (change.backlogLimit !== undefined) { mask |= StatusMask.BACKLOG_LIMIT; fields.backlogLimit = change.backlogLimit; }
    if (change.backlogWaitTimeMs !== undefined || change.backlogWaitTimeJiffies !== undefined) {
      mask |= StatusMask.BACKLOG_WAIT_TIME;
      fields.backlogWaitTime = change.backlogWaitTimeJiffies ?? msToJiffies(change.backlogWaitTimeMs!);
    }
    if (mask === 0) return;
    fields.mask = mask;
    const operation = change.pid !== undefined ? 'register daemon' : 'set status';
    checkReplies(operation, await this.request(operation, AuditMsg.SET, encodeStatus(fields)));
  }

  /** Reset the lost counter; returns the value it had. */
  resetLost(): Promise<number> {
    return this.resetCounter('reset lost', StatusMask.LOST, 'lost');
  }

  /** Reset backlog_wait_time_actual; returns the value it had, in jiffies. */
  resetBacklogWaitActual(): Promise<number> {
    return this.resetCounter('reset backlog_wait_time_actual', StatusMask.BACKLOG_WAIT_TIME_ACTUAL,
      'backlogWaitTimeActual');
  }

  // A LOST or BACKLOG_WAIT_TIME_ACTUAL mask alone resets the counter; the kernel ACKs with the
  // old value in the error field (a positive "errno").
  private async resetCounter(operation: string, mask: number, field: 'lost' | 'backlogWaitTimeActual'): Promise<number> {
    const replies = await this.request(operation, AuditMsg.SET, encodeStatus({ mask }));
    for (const msg of replies) {
      if (msg.type !== NLMSG_ERROR) continue;
      const value = decodeNlmsgError(msg.data);
      if (value < 0) throw auditErrorFromErrno(operation, value);
      return value;
    }
    // Kernels that don't return the old value: read it is all we can do (racy, stated).
    const status = await this.getStatus();
    return status[field];
  }

  async getFeatures(): Promise<AuditFeatures> {
    const replies = await this.request('get features', AuditMsg.GET_FEATURE, undefined, AuditMsg.GET_FEATURE);
    const raw = decodeFeatures(expectReply('get features', replies, AuditMsg.GET_FEATURE));
    return { ...raw, loginuidImmutable: (raw.features & (1 << FEATURE_LOGINUID_IMMUTABLE)) !== 0 };
  }

  async registeredDaemon(): Promise<RegisteredDaemon | null> {
    const { pid } = await this.getStatus();
    if (pid === 0) return null;
    let comm: string | null = null;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      comm = null;
    }
    return { pid, comm };
  }

  /** The rules loaded in the kernel, as raw audit_rule_data payloads (decode with harness/rules). */
  async listRules(): Promise<Buffer[]> {
    const replies = await this.request('list rules', AuditMsg.LIST_RULES, undefined, NLMSG_DONE);
    checkReplies('list rules', replies);
    return replies
      .filter((m) => m.type === AuditMsg.LIST_RULES)
      .map((m) => Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
  }

  async addRule(ruleData: Buffer): Promise<void> {
    checkReplies('add rule', await this.request('add rule', AuditMsg.ADD_RULE, ruleData));
  }

  async deleteRule(ruleData: Buffer): Promise<void> {
    checkReplies('delete rule', await this.request('delete rule', AuditMsg.DEL_RULE, ruleData));
  }

  /** Send an AUDIT_USER-range message; the kernel records it (when enabled) as a record of `type`. */
  async sendUserMessage(type: number, text: string): Promise<void> {
    if (!isUserMessageType(type)) {
      throw new AuditError('send user message', 'EINVAL',
        `type ${type} is not a user message type`, 'use 1005 or 1100-1199 or 2100-2999');
    }
    if (Buffer.byteLength(text) > MAX_USER_MESSAGE_TEXT) {
      throw new AuditError('send user message', 'EINVAL',
        `text of ${Buffer.byteLength(text)} bytes exceeds ${MAX_USER_MESSAGE_TEXT}`,
        'the kernel truncates longer messages');
    }
    checkReplies('send user message', await this.request('send user message', type, encodeUserMessage(text)));
  }
}
