// Shared shapes between tsauditd's input side (socket, queue, throttle) and its output side
// (log writer, dispatcher). Owned jointly: change only by agreement.

/** One record as the kernel delivered it. `text` is the payload without the trailing NUL. */
export interface AuditRecord {
  type: number;
  text: Buffer;
  /** log_format = ENRICHED: the interpreted fields, made once by `enrichedBy` and reused, since
   *  the log and the plugins format the same record the same way (format.ts) */
  enriched?: string;
  enrichedBy?: object;
}

/** What the output side tells the core after a batch. */
export interface WriteResult {
  /** records written to the log (EOE excluded: auditd never writes it) */
  written: number;
  /** records not written because the writer is suspended (counted, never silent) */
  notWritten: number;
}

/** The log writer's interface as the daemon core uses it. */
export interface LogSink {
  /** Append a batch. Resolves when the batch is handed to the OS per the flush policy. */
  write(records: AuditRecord[]): Promise<WriteResult>;
  /** SIGUSR1 */
  rotate(): Promise<void>;
  /** SIGUSR2: leave the suspended state */
  resume(): void;
  /** flush + fsync + close */
  close(): Promise<void>;
  stats(): LogSinkStats;
}

export interface LogSinkStats {
  bytesWritten: number;
  recordsWritten: number;
  notWritten: number;
  suspended: boolean;
  suspendReason: string | null;
  rotations: number;
  writeErrors: number;
}

/** The dispatcher as the core uses it. */
export interface Dispatcher {
  /** Offer a batch to every plugin. Returns false when a plugin with overflow_action=block is full:
   *  the core must then stop taking new input until `onWritable` fires. */
  dispatch(records: AuditRecord[]): boolean;
  onWritable(cb: () => void): void;
  close(): Promise<void>;
  stats(): PluginStats[];
}

export interface PluginStats {
  name: string;
  pid: number | null;
  queueDepth: number;
  queueCapacity: number;
  dropped: number;
  restarts: number;
  state: 'running' | 'stopped' | 'failed';
}
