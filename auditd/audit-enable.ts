// auditd's `-s enable|nochange|disable`: what tsauditd does with the kernel's `enabled` flag at
// start, and what it puts back at exit. auditd's default is enable at start and disable at exit;
// tsauditd restores the value it found instead (so a daemon started on a host where audit was
// already on leaves it on). enabled = 2 (locked until reboot) is left alone, and never set.
//
// The two requests go through a short-lived socket of the daemon's own native binding, not the
// harness's control client: that one loads the `netlink` package, whose protocol tables cost
// the daemon about 9 MiB of resident memory for its whole life.
import { openAuditSocket, type NativeAuditSocket } from './native/audit-socket.ts';
import {
  AuditMsg, decodeNlmsgError, decodeNlmsgHeader, decodeStatus, encodeNlmsg, encodeStatus, NLM_F_ACK, NLM_F_REQUEST,
  NLMSG_ERROR, NLMSG_HDRLEN, StatusMask, type RawStatus,
} from '../harness/kernel/codec.ts';
import { AuditError, auditErrorFromErrno } from '../harness/kernel/errors.ts';

export type EnableState = 'enable' | 'nochange' | 'disable';
export const ENABLE_STATES: readonly EnableState[] = ['enable', 'nochange', 'disable'];

export interface EnableResult {
  /** the value found at start, null when untouched */
  found: number | null;
  set: number | null;
  /** put back what was found; resolves to a message for the log, or null when nothing to do */
  restore: () => Promise<string | null>;
}

const REPLY_TIMEOUT_MS = 3000;
const SLOT = 16 * 1024;
let seq = 0;

/**
 * Send one request and read replies until the one for it: its `replyType` message (the payload)
 * or its NLMSG_ERROR (an ack, null payload, or a thrown errno). Blocks for at most
 * REPLY_TIMEOUT_MS; the kernel answers a status request at once.
 */
function request(sock: NativeAuditSocket, operation: string, type: number, flags: number, payload: Uint8Array, replyType: number): Uint8Array | null {
  const mySeq = ++seq;
  sock.send(encodeNlmsg(type, flags, mySeq, payload));
  const buf = new Uint8Array(SLOT);
  const lengths = new Uint32Array(1);
  const fl = new Uint32Array(1);
  const deadline = Date.now() + REPLY_TIMEOUT_MS;
  for (let left = REPLY_TIMEOUT_MS; left > 0; left = deadline - Date.now()) {
    if (sock.recvBatch(buf, SLOT, 1, lengths, fl, left) === 0) continue;
    for (let off = 0; off + NLMSG_HDRLEN <= lengths[0];) {
      const h = decodeNlmsgHeader(buf, off);
      if (h.len < NLMSG_HDRLEN || off + h.len > lengths[0]) break;
      const body = buf.subarray(off + NLMSG_HDRLEN, off + h.len);
      off += (h.len + 3) & ~3;
      if (h.seq !== mySeq) continue;
      if (h.type === NLMSG_ERROR) {
        const errno = decodeNlmsgError(body);
        if (errno !== 0) throw auditErrorFromErrno(operation, -errno);
        if (replyType === NLMSG_ERROR) return null;
      } else if (h.type === replyType) return body.slice();
    }
  }
  throw new AuditError(operation, 'ETIMEDOUT', `no answer from the kernel in ${REPLY_TIMEOUT_MS} ms`);
}

function withSocket<T>(fn: (sock: NativeAuditSocket) => T): T {
  const sock = openAuditSocket(0);
  try {
    return fn(sock);
  } finally {
    sock.close();
  }
}

function getStatus(): RawStatus {
  return withSocket((s) => decodeStatus(request(s, 'get status', AuditMsg.GET, NLM_F_REQUEST, new Uint8Array(0), AuditMsg.GET)!));
}

function setEnabled(enabled: 0 | 1): void {
  withSocket((s) => request(s, 'set enabled', AuditMsg.SET, NLM_F_REQUEST | NLM_F_ACK,
    encodeStatus({ mask: StatusMask.ENABLED, enabled }), NLMSG_ERROR));
}

export async function applyEnableState(want: EnableState): Promise<EnableResult> {
  const nothing: EnableResult = { found: null, set: null, restore: async () => null };
  if (want === 'nochange') return nothing;
  const found = getStatus().enabled;
  const target = want === 'enable' ? 1 : 0;
  if (found === 2 || found === target) return { ...nothing, found };
  setEnabled(target);
  return {
    found,
    set: target,
    restore: async () => {
      setEnabled(found as 0 | 1);
      return `audit enabled flag restored to ${found}`;
    },
  };
}
