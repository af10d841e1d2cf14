// Typed loader for the native event socket (audit_socket.cc). See that file for why it exists.
import { createRequire } from 'node:module';

export interface NativeAuditSocket {
  /** one datagram to the kernel; returns bytes sent */
  send(buf: Uint8Array): number;
  /** Wait up to timeoutMs for datagrams, then take up to maxMsgs at once (recvmmsg). Datagram i
   *  lands at buf[i*slotSize]; lengths[i] is its length, flags[i] its msg_flags (MSG_TRUNC) plus
   *  FLAG_FOREIGN_SENDER. Returns the count, 0 on timeout. Throws a plain Error with `errno`. */
  recvBatch(buf: Uint8Array, slotSize: number, maxMsgs: number, lengths: Uint32Array, flags: Uint32Array, timeoutMs: number): number;
  setRcvbuf(bytes: number): number;
  rcvbuf(): number;
  portId(): number;
  fd(): number;
  close(): void;
}

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
  return new (load().AuditSocket)(rcvbufBytes);
}
