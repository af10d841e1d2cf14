// A field bundle is a directory of whatever the customer sent. File names are not trusted
// (people send `status.txt`, `audit.log.3.gz`, `journal-excerpt`): each file is classified by
// what its lines look like, and a file that matches nothing is reported as ignored.
import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, relative, isAbsolute } from 'node:path';
import { decodeUtf8, readRegularFile, shorten } from '../input/untrusted.ts';
import type { Ignored } from './evidence.ts';

export type BundleFileKind = 'audit-log' | 'status' | 'rules' | 'kmsg' | 'meminfo' | 'auditd-conf' | 'notes';

export interface BundleFile {
  name: string;
  kind: BundleFileKind;
  lines: string[];
  /** 0 for the live log, 1 for audit.log.1 ...: rotated logs are read oldest first */
  rotation: number;
}

export interface BundleFiles {
  dir: string;
  files: BundleFile[];
  ignored: Ignored[];
}

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

/** Bounds on a bundle (docs/reproducing.md): a bundle is hostile input read as root. */
export const BUNDLE_LIMITS = {
  /** one file as stored */
  fileBytes: 256 * 1024 * 1024,
  /** one gzip file once decompressed (a gzip bomb stops here) */
  decompressedBytes: 256 * 1024 * 1024,
  /** all files together, after decompression */
  totalBytes: 1024 * 1024 * 1024,
  /** directory entries looked at */
  entries: 1000,
};
const MAX_FILE_BYTES = BUNDLE_LIMITS.fileBytes;

const AUDIT_LINE = /^(node=\S+ )?type=[A-Z_0-9\[\]]+ msg=audit\(\d+\.\d+:\d+\)/;
const STATUS_LINE = /^(enabled|failure|pid|rate_limit|backlog_limit|lost|backlog|backlog_wait_time|backlog_wait_time_actual|loginuid_immutable) \S+/;
const OLD_STATUS = /^AUDIT_STATUS: /;
const RULE_LINE = /^(-[aAdwWbefrDS]\b|--backlog_wait_time\b|No rules$)/;
const KMSG_LINE = /(audit: |audit\(|audit_backlog|audit_lost|backlog limit exceeded|Out of memory|oom-kill|invoked oom-killer|oom_reaper|Killed process|kauditd)/;
const MEMINFO_LINE = /^(MemTotal|MemFree|MemAvailable|Buffers|Cached|SwapTotal|SwapFree|Committed_AS):\s+\d+ kB$/;
const CONF_KEYS = /^\s*(log_file|log_format|log_group|flush|freq|num_logs|max_log_file|max_log_file_action|space_left|space_left_action|admin_space_left|admin_space_left_action|disk_full_action|disk_error_action|dispatcher|disp_qos|q_depth|overflow_action|priority_boost|name_format|write_logs|local_events|plugin_dir|max_restarts|tcp_listen_port|use_libwrap)\s*=/;

// audit records mention audit( too: only other lines count as kernel messages
const NOT_RECORD_KMSG = { test: (l: string) => KMSG_LINE.test(l) && !/^(node=\S+ )?type=/.test(l) } as RegExp;

function classify(lines: string[]): BundleFileKind {
  const content = lines.filter((l) => l.trim() !== '' && !/^\s*#/.test(l));
  if (content.length === 0) return 'notes';
  const share = (re: RegExp) => content.filter((l) => re.test(l)).length / content.length;
  // a file is what most of its lines are; notes are the remainder
  const scores: Array<[BundleFileKind, number]> = [
    ['audit-log', share(AUDIT_LINE) + share(/^(----|time->)/)],
    ['status', share(STATUS_LINE) + share(OLD_STATUS)],
    ['rules', share(RULE_LINE)],
    ['meminfo', share(/^[A-Za-z_()0-9]+:\s+\d+( kB)?$/) * (content.some((l) => MEMINFO_LINE.test(l)) ? 1 : 0)],
    ['auditd-conf', share(/^\s*[a-z_0-9]+\s*=\s*\S/) * (content.some((l) => CONF_KEYS.test(l)) ? 1 : 0)],
    ['kmsg', share(NOT_RECORD_KMSG) + share(/^\[\s*\d+\.\d+\]/) * 0.5 + share(/^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ kernel:/) * 0.5],
  ];
  scores.sort((a, b) => b[1] - a[1]);
  return scores[0][1] >= 0.5 ? scores[0][0] : 'notes';
}

function rotationOf(name: string): number {
  const m = /\.(\d+)(\.gz)?$/.exec(name);
  return m ? Number(m[1]) : 0;
}

/** Read and classify every regular file of the bundle directory (not recursive). */
export function readBundleFiles(dir: string): BundleFiles {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    throw new BundleError(`${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message}; give the directory holding what the field sent`);
  }
  if (!st.isDirectory()) throw new BundleError(`${dir}: not a directory; a bundle is a directory of the files the field sent (auditctl -s, auditctl -l, audit.log, dmesg, meminfo, auditd.conf, notes)`);
  const out: BundleFiles = { dir, files: [], ignored: [] };
  let realDir: string;
  try {
    realDir = realpathSync(dir);
  } catch (err) {
    throw new BundleError(`${dir}: cannot resolve the directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    throw new BundleError(`${dir}: cannot list the directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check its permissions`);
  }
  if (names.length > BUNDLE_LIMITS.entries) {
    out.ignored.push({ where: dir, why: `${names.length} entries: only the first ${BUNDLE_LIMITS.entries} (by name) are looked at` });
    names = names.slice(0, BUNDLE_LIMITS.entries);
  }
  let total = 0;
  for (const name of names) {
    const path = join(dir, name);
    const shown = shorten(name, 60).slice(1, -1);
    // the entry itself, then (a link followed) what it points to; either may fail
    const examine = (stat: typeof lstatSync) => {
      try {
        return stat(path);
      } catch (err) {
        out.ignored.push({ where: shown, why: `cannot be examined (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
        return null;
      }
    };
    const lst = examine(lstatSync);
    if (!lst) continue;
    if (lst.isSymbolicLink()) {
      // a link is followed only to a file inside the bundle: never to the host's files
      let target: string;
      try {
        target = realpathSync(path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        out.ignored.push({ where: shown, why: code === 'ELOOP' ? 'a symlink loop; not followed' : code === 'ENOENT' ? 'a broken symlink (its target does not exist); not followed' : `a symlink that does not resolve (${code}); not followed` });
        continue;
      }
      const rel = relative(realDir, target);
      if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
        out.ignored.push({ where: shown, why: `a symlink out of the bundle (to ${shorten(target, 80)}); not followed: a bundle is read only from its own directory` });
        continue;
      }
    }
    const fst = examine(statSync);
    if (!fst) continue;
    if (!fst.isFile()) {
      out.ignored.push({ where: shown, why: fst.isDirectory() ? 'a directory (bundles are flat directories; its files are not read)' : 'not a regular file (a device, FIFO or socket)' });
      continue;
    }
    if (fst.size === 0) {
      out.ignored.push({ where: shown, why: 'empty file' });
      continue;
    }
    if (fst.size > MAX_FILE_BYTES) {
      out.ignored.push({ where: shown, why: `${fst.size} bytes: over the ${MAX_FILE_BYTES / 1048576} MiB per-file limit; send an excerpt` });
      continue;
    }
    if (total + fst.size > BUNDLE_LIMITS.totalBytes) {
      out.ignored.push({ where: shown, why: `the bundle's files add up to more than ${BUNDLE_LIMITS.totalBytes / 1048576} MiB; this one and what follows are not read` });
      continue;
    }
    const read = readRegularFile(path, MAX_FILE_BYTES);
    if (!read.ok) {
      out.ignored.push({ where: shown, why: `cannot be read (${read.problem.kind === 'unreadable' ? read.problem.code : read.problem.kind})` });
      continue;
    }
    let buf = read.buf;
    if (buf[0] === 0x1f && buf[1] === 0x8b) {
      const room = Math.min(BUNDLE_LIMITS.decompressedBytes, BUNDLE_LIMITS.totalBytes - total);
      try {
        buf = gunzipSync(buf, { maxOutputLength: room });
      } catch (err) {
        const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError;
        out.ignored.push({ where: shown, why: tooBig
          ? `gzip data that expands past ${room / 1048576} MiB (the limit for one decompressed file); not read: send an excerpt`
          : `gzip data that does not decompress: ${shorten((err as Error).message, 80).slice(1, -1)}` });
        continue;
      }
    }
    total += buf.length;
    const decoded = decodeUtf8(buf);
    // not UTF-8: read byte for byte (Latin-1) and say so, never replaced with U+FFFD
    const text = decoded.ok ? decoded.text : buf.toString('latin1');
    if (!decoded.ok && decoded.problem.kind === 'not-utf8') {
      out.ignored.push({ where: `${shown}:${decoded.problem.line}`, why: `byte 0x${decoded.problem.byte.toString(16)} at column ${decoded.problem.col} is not UTF-8: the file is read as Latin-1 (one character per byte); nothing is dropped` });
    }
    // binary: NULs, or many bytes that are not text (0x1D is the ENRICHED separator, allowed)
    let bad = 0;
    let nul = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0) { nul = true; break; }
      if (c <= 0x08 || (c >= 0x0e && c <= 0x1c) || c === 0x7f) bad++;
    }
    if (nul || bad > text.length / 100) {
      out.ignored.push({ where: shown, why: 'binary data, not text (is it an ausearch --raw file? an audit log is text)' });
      continue;
    }
    const lines = text.replace(/\r\n/g, '\n').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    if (lines.every((l) => l.trim() === '')) {
      out.ignored.push({ where: shown, why: 'only blank lines' });
      continue;
    }
    out.files.push({ name, kind: classify(lines), lines, rotation: rotationOf(name) });
  }
  return out;
}
