// uid and gid -> name for ENRICHED logs, from /etc/passwd and /etc/group, as getpwuid/getgrgid
// answer on a host whose NSS is `files` (the first line with the id wins). The files are parsed
// once into maps; they are re-read when they change (size, mtime or inode), checked at most
// once a second and at once after a record that says an account changed, so a lookup is one
// Map.get. Bounded: at most MAX_ENTRIES ids per file (ids past that print as unknown(N)) and
// files of at most MAX_FILE_BYTES.
import { readFileSync, statSync } from 'node:fs';

const MAX_ENTRIES = 1 << 18;
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const RECHECK_MS = 1000;

class IdFile {
  private names = new Map<number, string>();
  private signature = '';
  private checkedAt = -Infinity;
  /** how many times the names were (re)loaded */
  generation = 0;

  constructor(private readonly path: string, private readonly now: () => number) {}

  /** The name for an id, or null (no such line, or the file cannot be read). */
  get(id: number): string | null {
    this.check();
    return this.names.get(id) ?? null;
  }

  /** Re-read the file if it changed and the last look is old enough. */
  check(): void {
    const t = this.now();
    if (t - this.checkedAt >= RECHECK_MS) this.refresh(t);
  }

  /** Look at the file again on the next lookup (an account was added, changed or removed). */
  invalidate(): void {
    this.checkedAt = -Infinity;
  }

  private refresh(t: number): void {
    this.checkedAt = t;
    let sig: string;
    try {
      const st = statSync(this.path, { bigint: true });
      sig = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
      if (sig === this.signature) return;
      if (st.size > BigInt(MAX_FILE_BYTES)) throw new Error('too big');
    } catch {
      if (this.signature !== '' || this.generation === 0) this.generation++;
      this.signature = '';
      this.names = new Map();
      return;
    }
    this.signature = sig;
    this.generation++;
    try {
      this.names = parseIdFile(readFileSync(this.path, 'latin1'));
    } catch {
      this.names = new Map();
    }
  }
}

/** `name:x:ID:...` lines -> id -> name (latin1, byte for byte; first line for an id wins). */
export function parseIdFile(text: string): Map<number, string> {
  const out = new Map<number, string>();
  let start = 0;
  while (start < text.length && out.size < MAX_ENTRIES) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const c1 = text.indexOf(':', start);
    const c2 = c1 < 0 || c1 > end ? -1 : text.indexOf(':', c1 + 1);
    const c3 = c2 < 0 || c2 > end ? -1 : text.indexOf(':', c2 + 1);
    if (c1 > start && c3 > c2 + 1 && c3 <= end) {
      const idText = text.slice(c2 + 1, c3);
      if (/^[0-9]{1,10}$/.test(idText)) {
        const id = Number(idText);
        if (id <= 0xffffffff && !out.has(id)) out.set(id, text.slice(start, c1));
      }
    }
    start = end + 1;
  }
  return out;
}

export interface IdNameSource {
  user(uid: number): string | null;
  group(gid: number): string | null;
  /** an account record went by: look at the files again before the next name */
  accountsChanged(): void;
  /** changes whenever a name may have changed (a file was re-read); looks at the files at most once a second */
  version(): number;
}

export function fileIdNames(passwd = '/etc/passwd', group = '/etc/group', now: () => number = () => performance.now()): IdNameSource {
  const users = new IdFile(passwd, now);
  const groups = new IdFile(group, now);
  return {
    user: (uid) => users.get(uid),
    group: (gid) => groups.get(gid),
    accountsChanged: () => { users.invalidate(); groups.invalidate(); },
    version: () => { users.check(); groups.check(); return users.generation + groups.generation; },
  };
}
