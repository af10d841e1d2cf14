// Read a daemon's audit log(s) and count the run's events: what was logged, what was logged
// only in part, and what was logged twice. Streams: logs of soak runs are large.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface LogEventCounts {
  /** distinct events of the run's auid (a SYSCALL or a user-message record) */
  events: number;
  /** of those, events with every record auditd writes for them (SYSCALL ... PROCTITLE) */
  complete: number;
  /** events some of whose records are missing */
  incomplete: number;
  /** records that appeared more than once (same serial and same text) */
  duplicateRecords: number;
  /** events with a record written more than once */
  duplicateEvents: number;
  /** loss records the daemon wrote about itself (e.g. tsauditd's drop notices) */
  lossNotices: number;
  /** lines that are not `type=NAME msg=audit(SEC.MSEC:SERIAL): ...` */
  malformedLines: number;
  /** records by type name, for the run's events */
  byType: Record<string, number>;
  /** events per second of the event timestamps, for the report */
  perSecond: Map<number, number>;
  lines: number;
}

const LINE = /^type=(\S+) msg=audit\((\d+)\.(\d+):(\d+)\): (.*)$/;
const AUID = / auid=(\d+)/;

interface EventState {
  syscall: boolean;
  user: boolean;
  proctitle: boolean;
  ours: boolean;
  /** the load process setting its auid (LOGIN): the harness's doing, not a load event */
  login: boolean;
  /** a record of this event was written twice */
  split: boolean;
  /** 32-bit hashes of the record lines seen, to spot a record written twice without keeping text */
  hashes: number[];
  sec: number;
}

const USER_TYPES = /^(USER|USER_[A-Z_]+|CRED_[A-Z]+|ADD_USER|DEL_USER|TRUSTED_APP|UNKNOWN\[(1[01]\d\d|2\d\d\d)\])$/;

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export async function countLogEvents(files: string[], auid: number): Promise<LogEventCounts> {
  const events = new Map<string, EventState>();
  const out: LogEventCounts = {
    events: 0, complete: 0, incomplete: 0, duplicateRecords: 0, duplicateEvents: 0, lossNotices: 0,
    malformedLines: 0, byType: {}, perSecond: new Map(), lines: 0,
  };
  const auidText = String(auid);
  let lineNo = 0;
  for (const file of files) {
    const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of rl) {
      lineNo++;
      out.lines++;
      if (!line) continue;
      const m = LINE.exec(line);
      if (!m) {
        out.malformedLines++;
        continue;
      }
      const [, type, sec, , serial, body] = m as unknown as [string, string, string, string, string, string];
      if (type === 'DAEMON_ERR' && /lost|dropp/i.test(body)) out.lossNotices++;
      const id = `${sec}:${serial}`;
      let ev = events.get(id);
      if (!ev) {
        ev = { syscall: false, user: false, proctitle: false, ours: false, login: false, split: false, hashes: [], sec: Number(sec) };
        events.set(id, ev);
      }
      const h = fnv1a(line);
      if (ev.hashes.includes(h)) {
        out.duplicateRecords++;
        ev.split = true;
      } else {
        ev.hashes.push(h);
      }
      if (type === 'SYSCALL') {
        ev.syscall = true;
        if (AUID.exec(body)?.[1] === auidText) ev.ours = true;
      } else if (type === 'LOGIN') {
        ev.login = true;
      } else if (type === 'PROCTITLE') {
        ev.proctitle = true;
      } else if (USER_TYPES.test(type)) {
        ev.user = true;
        if (AUID.exec(body)?.[1] === auidText) ev.ours = true;
      }
      if (ev.ours) out.byType[type] = (out.byType[type] ?? 0) + 1;
    }
  }
  for (const ev of events.values()) {
    if (!ev.ours || ev.login) continue;
    out.events++;
    if (ev.split) out.duplicateEvents++;
    if (ev.user || (ev.syscall && ev.proctitle)) out.complete++;
    else out.incomplete++;
    out.perSecond.set(ev.sec, (out.perSecond.get(ev.sec) ?? 0) + 1);
  }
  return out;
}
