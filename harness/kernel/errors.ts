// Typed errors of the audit control plane: each says what failed, why, and what to do.
import { constants } from 'node:os';

export class AuditError extends Error {
  /** errno name, e.g. EPERM, or 'EPROTO' for malformed replies, 'ETIMEDOUT' */
  readonly code: string;
  readonly operation: string;
  readonly hint: string;
  constructor(operation: string, code: string, message: string, hint = '') {
    super(`${operation}: ${message}${hint ? ` (${hint})` : ''}`);
    this.name = 'AuditError';
    this.code = code;
    this.operation = operation;
    this.hint = hint;
  }
}

/** A reply the kernel (or a peer) sent that does not have the expected shape. */
export class AuditProtocolError extends AuditError {
  constructor(message: string) {
    super('decode', 'EPROTO', message);
    this.name = 'AuditProtocolError';
  }
}

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([name, n]) => [n as number, name]),
);

export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(Math.abs(errno)) ?? `errno ${Math.abs(errno)}`;
}

/** Map a kernel errno for an operation to an error that says why and what to do. */
export function auditErrorFromErrno(operation: string, errno: number, detail = ''): AuditError {
  const code = errnoName(errno);
  const what = detail ? `${detail}: ` : '';
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return new AuditError(operation, code, `${what}permission denied by the kernel`,
        'run as root with CAP_AUDIT_CONTROL; in a container, kernel audit is usually off-limits');
    case 'EEXIST':
      return operation === 'register daemon'
        ? new AuditError(operation, code, `${what}another audit daemon is registered`,
          'stop it first (auditstorm status shows its pid), or pass the take-over flag')
        : new AuditError(operation, code, `${what}already exists`, 'delete it first or leave it');
    case 'ENOENT':
      return new AuditError(operation, code, `${what}no such rule`, 'auditstorm rules list shows what is loaded');
    case 'EINVAL':
      return new AuditError(operation, code, `${what}the kernel rejected a value as invalid`,
        'check ranges: backlog_wait_time <= 600 s, failure 0-1, enabled 0-1, and rule fields/operators');
    case 'ECONNREFUSED':
      return new AuditError(operation, code, `${what}kernel audit is not available`,
        'the kernel needs CONFIG_AUDIT=y and must not be booted with audit=0');
    default:
      return new AuditError(operation, code, `${what}failed with ${code}`);
  }
}
