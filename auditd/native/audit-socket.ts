// Typed loader for the native event socket (audit_socket.cc). See that file for why it exists.
import { createRequire } from 'node:module';

export interface NativeAuditSocket {
  /** one datagram to the kernel; returns bytes sent */
  send(buf: Uint8Array): number;
  /** Wait up to timeoutMs for datagrams, then take up to maxMsgs at once (recvmmsg). Datagram i
   *  lands at buf[i*slotSize]; lengths[i] is its length, flags[i] its msg_flags (MSG_TRUNC) plus
   *  FLAG_FOREIGN_SENDER. Returns the count, 0 on timeout. Throws a plain Error with `errno`. */
  recvBatch(buf: Uint8Array, slotSize: number, maxMsgs: number, lengths: Uint32Array, flags: Uint32Array, timeoutMs: number): number;
  /** poll() the wake eventfd and (when watchSocket) the socket; -1 waits forever. Returns a
   *  bit mask: WAIT_READABLE | WAIT_WOKEN, 0 on timeout. Consumes the wake. */
  wait(timeoutMs: number, watchSocket: boolean): number;
  /** lower the calling thread's nice value by n (0..20); returns the new nice value */
  boostThread(n: number): number;
  /** SO_MEMINFO: [unread bytes, receive buffer size, drop count] */
  meminfo(): [number, number, number];
  setRcvbuf(bytes: number): number;
  rcvbuf(): number;
  portId(): number;
  fd(): number;
  /** the eventfd another thread writes a u64 to, to end a wait() */
  wakeFd(): number;
  /** keepWakeFd: leave the eventfd open for its writer to close */
  close(keepWakeFd?: boolean): void;
}

export const WAIT_READABLE = 1;
export const WAIT_WOKEN = 2;
/** SO_RCVBUF takes an int that the kernel doubles and caps at INT_MAX/2 */
export const MAX_RCVBUF_BYTES = 2 ** 30;

export const MSG_TRUNC = 0x20;
export const FLAG_FOREIGN_SENDER = 0x40000000;

interface Binding {
  AuditSocket: new (rcvbufBytes?: number) => NativeAuditSocket;
}

let binding: Binding | undefined;

function load(): Binding {
  if (binding) return binding;
  const require = createRequire(import.meta.url);
  try {
    binding = require('./build/Release/audit_socket.node') as Binding;
  } catch (err) {
    throw new Error(
      `tsauditd's native socket is not built (${(err as Error).message}); run \`npm install\` ` +
      '(or `npx node-gyp rebuild --directory=auditd/native`) in the project root');
  }
  return binding;
}

/** Open, bind and configure a NETLINK_AUDIT socket. rcvbufBytes 0 keeps the kernel default. */
export function openAuditSocket(rcvbufBytes = 0): NativeAuditSocket {
  if (!Number.isInteger(rcvbufBytes) || rcvbufBytes < 0 || rcvbufBytes > MAX_RCVBUF_BYTES) {
    throw new RangeError(`receive buffer size ${rcvbufBytes} is not 0..${MAX_RCVBUF_BYTES} bytes`);
  }
  return new (load().AuditSocket)(rcvbufBytes);
}
