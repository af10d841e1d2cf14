// Shared guards for parsers of untrusted input (rule files, scenario YAML, auditd.conf, plugin
// configs, field bundles): bounded reads of regular files only, strict UTF-8 (never U+FFFD), and
// values shortened before they are echoed in an error. The limits are stated in docs/rules.md
// and docs/scenarios.md; change them there too.
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from 'node:fs';

/** Longest value an error message echoes; longer ones are cut with their full length named. */
export const ECHO_MAX = 80;

/**
 * A value as an error shows it: JSON-quoted (so control characters and spaces are visible) and
 * cut to about `max` characters, e.g. `"xxxxxxxx..." (1048576 characters)`.
 */
export function shorten(value: unknown, max = ECHO_MAX): string {
  const text = typeof value === 'string' ? value : String(value);
  if (text.length <= max) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, max))}... (${text.length} characters)`;
}

/** Why a file could not be read as text. */
export type ReadProblem =
  | { kind: 'missing' }
  | { kind: 'directory' }
  | { kind: 'not-regular'; what: string }
  | { kind: 'too-large'; bytes: number; limit: number }
  | { kind: 'unreadable'; code: string }
  | { kind: 'not-utf8'; line: number; col: number; byte: number; offset: number };

export type ReadResult = { ok: true; text: string; bytes: number } | { ok: false; problem: ReadProblem };

/** The first byte offset where `buf` is not well-formed UTF-8 (overlong forms, surrogates and
 *  code points above U+10FFFF included), or -1. Linear, no allocation. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i];
    if (b < 0x80) { i++; continue; }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b === 0xe0) { need = 2; lo = 0xa0; } // no overlong 3-byte forms
    else if (b >= 0xe1 && b <= 0xec) need = 2;
    else if (b === 0xed) { need = 2; hi = 0x9f; } // no UTF-16 surrogates
    else if (b >= 0xee && b <= 0xef) need = 2;
    else if (b === 0xf0) { need = 3; lo = 0x90; } // no overlong 4-byte forms
    else if (b >= 0xf1 && b <= 0xf3) need = 3;
    else if (b === 0xf4) { need = 3; hi = 0x8f; } // nothing above U+10FFFF
    else return i; // 0x80..0xC1 (stray continuation, overlong 2-byte lead), 0xF5..0xFF
    if (i + need >= n) return i; // cut short at the end
    const c1 = buf[i + 1];
    if (c1 < lo || c1 > hi) return i;
    for (let k = 2; k <= need; k++) {
      const c = buf[i + k];
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** 1-based line and column (in bytes) of a byte offset. */
export function lineColOf(buf: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < buf.length; i++) {
    if (buf[i] === 0x0a) { line++; lineStart = i + 1; }
  }
  return { line, col: offset - lineStart + 1 };
}

/** Decode strict UTF-8; a bad byte is a problem with its line:col, never a U+FFFD. */
export function decodeUtf8(buf: Uint8Array): ReadResult {
  const bad = firstInvalidUtf8(buf);
  if (bad >= 0) return { ok: false, problem: { kind: 'not-utf8', ...lineColOf(buf, bad), byte: buf[bad], offset: bad } };
  return { ok: true, text: Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8'), bytes: buf.length };
}

/**
 * Read a regular file of at most `limit` bytes. A directory, a device (/dev/zero), a FIFO or a
 * socket is refused before anything is read (O_NONBLOCK: opening a FIFO does not wait for a
 * writer); a file that grows past the limit while read is refused too. `utf8` false returns the
 * bytes as Latin-1 text (each byte one character), for callers that report the encoding themselves.
 */
export function readRegularFile(path: string, limit: number): { ok: true; buf: Buffer } | { ok: false; problem: ReadProblem } {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT') return { ok: false, problem: { kind: 'missing' } };
    if (code === 'EISDIR') return { ok: false, problem: { kind: 'directory' } };
    return { ok: false, problem: { kind: 'unreadable', code } };
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return { ok: false, problem: { kind: 'directory' } };
    if (!st.isFile()) {
      const what = st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device'
        : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'not a regular file';
      return { ok: false, problem: { kind: 'not-regular', what } };
    }
    if (st.size > limit) return { ok: false, problem: { kind: 'too-large', bytes: st.size, limit } };
    const buf = Buffer.alloc(Math.min(limit + 1, Math.max(st.size + 1, 1)));
    let got = 0;
    for (;;) {
      if (got === buf.length) break;
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
    }
    if (got > limit) return { ok: false, problem: { kind: 'too-large', bytes: got, limit } };
    return { ok: true, buf: buf.subarray(0, got) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'EISDIR') return { ok: false, problem: { kind: 'directory' } };
    return { ok: false, problem: { kind: 'unreadable', code } };
  } finally {
    closeSync(fd);
  }
}

/** readRegularFile + strict UTF-8. */
export function readTextFile(path: string, limit: number): ReadResult {
  const r = readRegularFile(path, limit);
  return r.ok ? decodeUtf8(r.buf) : r;
}

/** A ReadProblem as the second half of a sentence: what is wrong and what to do. */
export function describeReadProblem(p: ReadProblem, what: string): { detail: string; hint: string } {
  switch (p.kind) {
    case 'missing': return { detail: 'does not exist (ENOENT)', hint: 'check the path' };
    case 'directory': return { detail: `is a directory, not a ${what}`, hint: `give the ${what} itself, not its directory` };
    case 'not-regular': return { detail: `is ${p.what}, not a ${what}`, hint: `give a regular file` };
    case 'too-large': return { detail: `is ${p.bytes} bytes, over the ${p.limit}-byte limit for a ${what}`, hint: 'give the file itself (is it the right one?) or split it' };
    case 'unreadable': return { detail: `cannot be read (${p.code})`, hint: p.code === 'EACCES' ? 'check its permissions' : 'check the path and the file system' };
    case 'not-utf8': return {
      detail: `byte 0x${p.byte.toString(16).padStart(2, '0')} at line ${p.line}, column ${p.col} is not UTF-8 (Latin-1 or an overlong form)`,
      hint: 'write the file in UTF-8 (e.g. iconv -f latin1 -t utf-8); nothing is replaced silently',
    };
  }
}
