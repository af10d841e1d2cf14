// Records tsauditd writes about itself, in the kernel's text shape so auditd's tools parse them:
// `audit(SEC.MSEC:SERIAL): key=value ...`. Types are auditd's own: DAEMON_START 1200,
// DAEMON_END 1201, DAEMON_CONFIG 1203, DAEMON_ROTATE 1205, DAEMON_RESUME 1206, DAEMON_ERR 1209.
//
// The loss record (queue_overflow=drop) is a DAEMON_ERR:
//   type=DAEMON_ERR msg=audit(1700000000.123:7): op=queue_overflow policy=drop lost=812
//     lost_syscall=160 total_lost=4051 queue_hwm=8192 queue_hwm_bytes=16777216 pid=1234 res=failed
// `lost` counts records dropped since the previous loss record, `total_lost` since start.
// `ausearch -if LOG -m DAEMON_ERR` lists them.
import type { AuditRecord } from './types.ts';

export const DaemonType = {
  START: 1200, END: 1201, CONFIG: 1203, ROTATE: 1205, RESUME: 1206, ERR: 1209,
} as const;

// Our own serials. auditd numbers its daemon events separately from the kernel too; a clash would
// need the same millisecond as a kernel record with the same serial.
let serial = 0;

export function daemonRecord(type: number, fields: Record<string, string | number>, now = Date.now()): AuditRecord {
  const sec = Math.floor(now / 1000);
  const ms = String(now % 1000).padStart(3, '0');
  const body = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ');
  return { type, text: Buffer.from(`audit(${sec}.${ms}:${++serial}): ${body}`) };
}
