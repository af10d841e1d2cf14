// Read a small kernel-generated file (/proc, cgroupfs) into one reused buffer: open, one read,
// close. readFileSync would also fstat and allocate per call; at 10 Hz over several files the
// difference is most of a monitor's cost.
import { closeSync, openSync, readSync } from 'node:fs';

const buf = Buffer.allocUnsafe(64 * 1024);

/** The file's text, or null when it does not exist (a process that exited). */
export function readSmall(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    // One read returns the whole of a small seq_file; read on only if it filled the buffer.
    let len = readSync(fd, buf, 0, buf.length, null);
    while (len === buf.length) {
      throw new Error(`${path} is larger than ${buf.length} bytes: not a small file`);
    }
    return buf.toString('latin1', 0, len);
  } catch {
    return null; // ESRCH: the process died between open and read
  } finally {
    closeSync(fd);
  }
}

/** `Key:   123 kB` lines (/proc/PID/status, /proc/meminfo): the number after key, or null. */
export function fieldKiB(text: string, key: string): number | null {
  const i = text.indexOf(key);
  if (i < 0) return null;
  let j = i + key.length;
  while (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9) j++;
  let n = 0;
  let digits = 0;
  for (let c = text.charCodeAt(j); c >= 48 && c <= 57; c = text.charCodeAt(++j)) { n = n * 10 + c - 48; digits++; }
  return digits ? n : null;
}
