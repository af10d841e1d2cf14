// The events kauditd printed to the kernel log, by serial, for one auid. kauditd prints a record
// when it gives up on delivering it (the daemon's socket stayed full, or no daemon is
// registered) and then, on a kernel booted without audit=1, frees it without counting it in
// `lost`. The SYSCALL (or user-range) record carries the auid; the event's other records are
// kept by serial so that a logged event whose PATH the kernel dropped is told apart too.
import { SerialSet } from '../kernel/serial-set.ts';
import { fieldValue } from '../kernel/audit-stamp.ts';
import { isUserMessageType, RecordType } from '../kernel/record-types.ts';
import type { PrintedAuditRecord } from './kmsg.ts';

export interface KernelPrintsSummary {
  /** printed audit records, any auid */
  records: number;
  /** events of the auid whose SYSCALL or user-range record was printed */
  events: number;
  /** printed records of events of other auids (other users of the machine, the daemon's own) */
  otherAuidRecords: number;
}

export class KernelPrints {
  /** serials of the auid's events whose leading record was printed */
  readonly ours = new SerialSet();
  /** serials of every printed record that is not an event's leading record (PATH, CWD, ...) */
  readonly trailing = new SerialSet();
  /** serials of printed LOGIN records: a load setting its auid, the harness's doing, not an event */
  readonly logins = new SerialSet();
  records = 0;
  otherAuidRecords = 0;
  private readonly auidText: string;

  constructor(auid: number) {
    this.auidText = String(auid);
  }

  add(r: PrintedAuditRecord): void {
    this.records++;
    if (r.type === RecordType.SYSCALL || isUserMessageType(r.type)) {
      if (fieldValue(r.body, 'auid') === this.auidText) this.ours.add(r.serial);
      else this.otherAuidRecords++;
    } else {
      if (r.type === 1006 /* LOGIN */) this.logins.add(r.serial);
      this.trailing.add(r.serial);
    }
  }

  /** the auid's printed events, without the LOGIN events */
  events(): SerialSet {
    return this.logins.size ? this.ours.minus(this.logins) : this.ours;
  }

  summary(): KernelPrintsSummary {
    return { records: this.records, events: this.events().size, otherAuidRecords: this.otherAuidRecords };
  }
}
