// CONTRACT STUB: implementation in progress by the lead. Signatures are stable.
export interface AuditStatus {
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
}
export declare class AuditControl {
  static open(): Promise<AuditControl>;
  getStatus(): Promise<AuditStatus>;
  setStatus(change: StatusChange): Promise<void>;
  resetLost(): Promise<number>;
  resetBacklogWaitActual(): Promise<number>;
  /** raw audit_rule_data payloads as the kernel lists them */
  listRules(): Promise<Buffer[]>;
  addRule(ruleData: Buffer): Promise<void>;
  deleteRule(ruleData: Buffer): Promise<void>;
  sendUserMessage(type: number, text: string): Promise<void>;
  close(): void;
}
