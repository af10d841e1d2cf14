// A field bundle is a directory of whatever the customer sent. File names are not trusted
// (people send `status.txt`, `audit.log.3.gz`, `journal-excerpt`): each file is classified by
// what its lines look like, and a file that matches nothing is reported as ignored.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
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

const MAX_FILE_BYTES = 512 * 1024 * 1024;

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
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const fst = statSync(path);
    if (!fst.isFile()) {
      out.ignored.push({ where: name, why: 'not a regular file (bundles are flat directories)' });
      continue;
    }
    if (fst.size === 0) {
      out.ignored.push({ where: name, why: 'empty file' });
      continue;
    }
    if (fst.size > MAX_FILE_BYTES) {
      out.ignored.push({ where: name, why: `${fst.size} bytes: over the ${MAX_FILE_BYTES / 1048576} MiB per-file limit; send an excerpt` });
      continue;
    }
    let buf = readFileSync(path);
    if (buf[0] === 0x1f && buf[1] === 0x8b) {
      try {
        buf = gunzipSync(buf);
      } catch (err) {
        out.ignored.push({ where: name, why: `gzip data that does not decompress: ${(err as Error).message}` });
        continue;
      }
    }
    const text = buf.toString('utf8');
    // binary: NULs, or many bytes that are not text (0x1D is the ENRICHED separator, allowed)
    const bad = (text.match(/[\x00-\x08\x0e-\x1c\x7f]/g) ?? []).length;
    if (text.includes('\u0000') || bad > text.length / 100) {
      out.ignored.push({ where: name, why: 'binary data, not text (is it an ausearch --raw file? an audit log is text)' });
      continue;
    }
    const lines = text.replace(/\r\n/g, '\n').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    if (lines.every((l) => l.trim() === '')) {
      out.ignored.push({ where: name, why: 'only blank lines' });
      continue;
    }
    out.files.push({ name, kind: classify(lines), lines, rotation: rotationOf(name) });
  }
  return out;
}
