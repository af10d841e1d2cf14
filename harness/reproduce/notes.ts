// Free text the field sent (notes, ticket text, syslog excerpts of the daemon's own messages) ->
// the figures it states, each read with its unit (harness/scenario/units.ts) and kept with its
// file:line: event rates, write latencies and write rates of the log's disk, the consumer's pace
// (a plugin, a socket client), sizes (the daemon's RSS, the host's memory), the names of killed
// processes, and the daemon's own overload messages ("queue to plugins is full").
// A line is classified by its words (disk words, consumer words, memory words); the figure's
// line is printed next to it, so a wrong reading is visible and can be overridden by a flag.
import { parseDuration, parseSize, UnitError } from '../scenario/units.ts';
import type { BundleFile } from './bundle-files.ts';
import { clip } from './evidence.ts';

export interface NoteFigure<T> {
  value: T;
  /** file:line */
  where: string;
  /** the line, clipped */
  text: string;
  /** how the text was read ("200 ms per write", "1.5G read as GiB") */
  read: string;
  /** a rate in records, not events (converted with the log's records/event) */
  records?: boolean;
}

/** Each kind of fact the notes can give, with what it is: one table, from which the type and the empty set come. */
const NUMBER_FACTS = {
  offeredEventsPerSec: 'events per second the field offered (the load)',
  drainEventsPerSec: 'events per second the consumer or daemon managed (the drain)',
  writeLatencyMs: "per write on the log's disk (iostat w_await, \"writes above 200 ms\")",
  diskBytesPerSec: "bytes per second the log's disk took",
  consumerBytesPerSec: 'bytes per second the consumer (plugin, socket client, forwarder) took',
  daemonRssBytes: "the audit daemon's (or collector's) resident memory at the incident",
  hostMemoryBytes: "the host's memory",
  memoryLimitHit: "a watchdog's memory limit that the daemon hit",
} as const;
const TEXT_FACTS = {
  killed: 'processes named as killed',
  pluginQueueFull: "the daemon's overload messages: its plugin queue full",
  slowDiskWords: 'words that say the disk was slow, without a figure',
  slowConsumerWords: 'words that say the consumer was slow, without a figure',
} as const;

export type NoteFacts = { [K in keyof typeof NUMBER_FACTS]: NoteFigure<number>[] } & { [K in keyof typeof TEXT_FACTS]: NoteFigure<string>[] };

export const emptyNoteFacts = (): NoteFacts =>
  Object.fromEntries([...Object.keys(NUMBER_FACTS), ...Object.keys(TEXT_FACTS)].map((k) => [k, []])) as unknown as NoteFacts;

const DISK = /\b(disk|disks|fsync|iostat|w_await|await|nfs|san|storage|i\/o|io wait|iowait|write latency|writes?\b|flush|ebs|volume|lvm)/i;
const CONSUMER = /\b(plugin|plugins|client|consumer|socket|af_unix|forwarder|remote|dispatcher|audisp\S*|siem|collector|splunk|syslog server|recv)\b/i;
const MEMORY = /\b(rss|resident|memory|ram|heap|grew|grows|growing|bloat\S*|memtotal|oom)\b/i;
const DAEMONS = /\b(auditd|audispd|audisp-\S+|tsauditd|osqueryd|auditbeat|go-audit|auoms\S*|wazuh\S*|the daemon|the collector|the agent)\b/i;
const DRAIN_WORDS = /\b(drain\w*|keeps? up with|manag\w+|handl\w+|writ\w+|reads?|process\w*|consum\w+|logg\w+|takes?|only|at most|ceiling|max(imum)? of)\b/i;
const SLOW_DISK = /\b(slow|busy|saturated|overloaded|congested|contended)\s+(\w+\s+)?(disk|storage|nfs|san|volume|i\/o)\b|\b(disk|storage|nfs|i\/o)\s+(is|was|were)\s+(slow|busy|saturated)\b/i;
const SLOW_CONSUMER = /\b(slow|stuck|stalled|lagging|backed[- ]up)\s+(\w+\s+)?(plugin|client|consumer|socket|forwarder|link|siem|collector)\b|\b(plugin|client|consumer|forwarder)\s+(is|was)\s+(slow|stuck|behind|lagging)\b/i;
const STOP_NAMES = new Set(['and', 'then', 'the', 'a', 'an', 'process', 'processes', 'more', 'by', 'it', 'them', 'off', 'everyone', 'else', 'other', 'of', 'was', 'were', 'is', 'first', 'next', 'pid', 'with', 'too', 'also', 'again', 'in', 'on', 'at', 'after']);

/** "12k" -> 12000, "1,250" -> 1250, "2.4M" -> 2400000 */
function count(num: string, mult?: string): number {
  const n = Number(num.replace(/,/g, ''));
  return n * (mult === 'k' || mult === 'K' ? 1e3 : mult === 'M' ? 1e6 : 1);
}

/** A size as the notes write it. One-letter units (1.5G, 300M) are what ps and top print: binary. */
function noteSize(num: string, unit: string): { bytes: number; read: string } | null {
  let u = unit;
  let read = `${num} ${unit}`;
  const shown = (b: number) => ` = ${b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(2)} GiB` : `${(b / 1048576).toFixed(0)} MiB`}`;
  if (/^[KMGT]$/i.test(u)) {
    u = `${u.toUpperCase()}iB`;
    read += ` read as ${u} (ps/top print binary units)`;
  } else if (/^[kmgt]b$/.test(u)) {
    u = u === 'kb' ? 'kB' : u.toUpperCase();
  }
  try {
    const bytes = parseSize(`${num.replace(/,/g, '')}${u}`);
    return { bytes, read: `${read}${shown(bytes)}` };
  } catch (err) {
    if (err instanceof UnitError) return null;
    throw err;
  }
}

function noteDuration(num: string, unit: string): number | null {
  const u = /^(ms|msecs?|milliseconds?)$/i.test(unit) ? 'ms' : /^(s|secs?|seconds?)$/i.test(unit) ? 's' : /^(us|µs|usec)$/i.test(unit) ? 'us' : null;
  if (!u) return null;
  const n = Number(num.replace(/,/g, ''));
  if (u === 'us') return n / 1000;
  try {
    return parseDuration(`${n}${u}`);
  } catch (err) {
    // the project's parser keeps whole milliseconds; "0.25 ms" is still a latency
    if (err instanceof UnitError) return u === 'ms' ? n : n * 1000;
    throw err;
  }
}

const NUM = String.raw`(\d[\d,]*(?:\.\d+)?)`;
const EVENT_RATE = new RegExp(String.raw`~?${NUM}\s*([kKM])?\s*(events?|ev|evts?|records?|recs?|msgs?|messages?|lines?|execs?|syscalls?|opens?|calls?)\s*(?:/\s*|per\s+|a\s+|each\s+)(s|sec|second)\b`, 'g');
const BYTE_RATE = new RegExp(String.raw`${NUM}\s*(B|KiB|MiB|GiB|kB|KB|MB|GB|kb|mb|gb|K|M|G)\s*(?:/\s*|per\s+)(s|sec|second)\b`, 'g');
const DURATION = new RegExp(String.raw`${NUM}\s*(ms|msecs?|milliseconds?|s|secs?|seconds?|us|µs|usec)\b`, 'g');
const SIZE = new RegExp(String.raw`${NUM}\s*(B|KiB|MiB|GiB|TiB|kB|KB|MB|GB|TB|K|M|G|T)\b(?!\s*(?:/|per\s)\s*s)`, 'g');
/** "recv(65536)", "reads 64 KiB", "64KiB per read": bytes the consumer takes at a time */
const CHUNK = new RegExp(String.raw`(?:recv|read)\w*\s*\(\s*(\d+)\s*\)|(?:recv|read)s?\s+(?:of\s+)?${NUM}\s*(B|KiB|MiB|kB|KB|MB|K|M)\b|${NUM}\s*(B|KiB|MiB|kB|KB|MB|K|M)\s+(?:per|each|at a time|a)\s+(?:recv|read)`, 'i');

export function parseNotes(files: BundleFile[]): NoteFacts {
  const out = emptyNoteFacts();
  for (const f of files) {
    f.lines.forEach((raw, i) => {
      const line = raw.trim();
      if (!line) return;
      const where = `${f.name}:${i + 1}`;
      const text = clip(line, 140);
      const fig = <T>(value: T, read: string): NoteFigure<T> => ({ value, where, text, read });
      const disk = DISK.test(line);
      const consumer = CONSUMER.test(line);

      // the daemon's own overload messages (auditd's audisp/queue.c, osquery's watcher)
      if (/queue to plugins is full|queue is full - dropping event|queue full reporting limit reached|suspending event passing to plugins|dispatch err \(pipe full\)/i.test(line)) {
        out.pluginQueueFull.push(fig(line.replace(/^.*?(queue|dispatch|suspending)/i, '$1'), 'the daemon\'s plugin queue overflowed'));
        return;
      }
      const lim = /Memory limits exceeded:\s*(\d+)/i.exec(line);
      if (lim) {
        out.memoryLimitHit.push(fig(Number(lim[1]), `${lim[1]} bytes (a watchdog's memory limit)`));
        return;
      }

      for (const m of line.matchAll(EVENT_RATE)) {
        const v = count(m[1], m[2]);
        const isRecords = /^rec/i.test(m[3]);
        const read = `${m[0].trim()} = ${Math.round(v)} ${isRecords ? 'records' : 'events'}/s`;
        // the clause the figure is in: "auditd only manages 900 events/s; the kernel offers 20k"
        const before = line.slice(0, m.index).split(/[;]|\.\s|,\s(?=\D)|\s-\s/).pop() ?? '';
        const f = { ...fig(v, read), ...(isRecords ? { records: true } : {}) };
        if (CONSUMER.test(before) || (DRAIN_WORDS.test(before) && DAEMONS.test(before))) out.drainEventsPerSec.push(f);
        else out.offeredEventsPerSec.push(f);
      }
      for (const m of line.matchAll(BYTE_RATE)) {
        const sz = noteSize(m[1], m[2]);
        if (!sz) continue;
        const read = `${m[0].trim()} = ${sz.bytes} bytes/s${sz.read.includes('read as') ? ` (${sz.read.split('read as ')[1]})` : ''}`;
        if (consumer && !/\bdisk\b/i.test(line)) out.consumerBytesPerSec.push(fig(sz.bytes, read));
        else if (disk) out.diskBytesPerSec.push(fig(sz.bytes, read));
      }
      for (const m of line.matchAll(DURATION)) {
        const ms = noteDuration(m[1], m[2]);
        if (ms === null || ms <= 0) continue;
        const after = line.slice((m.index ?? 0) + m[0].length, (m.index ?? 0) + m[0].length + 40);
        const before = line.slice(Math.max(0, (m.index ?? 0) - 60), m.index);
        // a consumer's pause per read ("sleeps 200 ms after each recv(65536)") is its pace
        if (consumer && /\b(sleep|paus|wait|delay)\w*/i.test(before + after)) {
          const chunk = CHUNK.exec(line);
          if (chunk) {
            const bytes = chunk[1] ? Number(chunk[1]) : noteSize(chunk[2] ?? chunk[4], chunk[3] ?? chunk[5])?.bytes;
            if (bytes) out.consumerBytesPerSec.push(fig(Math.round(bytes * 1000 / ms), `${bytes} bytes per read, ${ms} ms per read = ${Math.round(bytes * 1000 / ms)} bytes/s`));
          }
          continue;
        }
        if (disk && /\b(write|writes|w_await|await|fsync|latency|flush|i\/o|io)\b/i.test(before + after) && !/\b(every|interval|timeout|for|lasted|took .* to (boot|start))\b/i.test(before.slice(-12))) {
          out.writeLatencyMs.push(fig(ms, `${m[0].trim()} per write`));
        }
      }
      for (const m of line.matchAll(SIZE)) {
        const sz = noteSize(m[1], m[2]);
        if (!sz || sz.bytes < 1024 * 1024) continue;
        const before = line.slice(Math.max(0, (m.index ?? 0) - 50), m.index);
        if (/\b(host|machine|server|vm|box|node)\s+(has|had|with)\b|\b(ram|memtotal|of memory|memory:)\s*$/i.test(before) || /^\s*(of\s+)?(ram|memory)\b/i.test(line.slice((m.index ?? 0) + m[0].length))) {
          out.hostMemoryBytes.push(fig(sz.bytes, sz.read));
        } else if (MEMORY.test(line) || /\b(is|was|at|reached|hit|to)\s*~?$/i.test(before)) {
          if (DAEMONS.test(line) || /\brss\b/i.test(line)) out.daemonRssBytes.push(fig(sz.bytes, sz.read));
        }
      }
      const k = /\b(?:oom[- ]?kill(?:ed|s)|kill(?:ed|s|ing)|shot|shoots|shooting|reaped)\b[^.;]*/i.exec(line);
      if (k) {
        const names = k[0].replace(/^\S+\s*/, '').split(/[\s,()]+/).map((w) => w.replace(/[^\w.-]/g, '')).filter((w) => /^[a-z][\w.-]{1,30}$/.test(w) && !STOP_NAMES.has(w.toLowerCase()))
          .filter((w) => /^(mysqld|httpd|nginx|java|node|postgres|python\d?|php-fpm|php-cgi|sshd|systemd\S*|\w+d)$/.test(w) || DAEMONS.test(w));
        for (const n of [...new Set(names)]) out.killed.push(fig(n, `"${n}" named as killed`));
      }
      if (SLOW_DISK.test(line)) out.slowDiskWords.push(fig(SLOW_DISK.exec(line)![0], 'says the disk was slow'));
      if (SLOW_CONSUMER.test(line)) out.slowConsumerWords.push(fig(SLOW_CONSUMER.exec(line)![0], 'says the consumer was slow'));
    });
  }
  return out;
}
