// Regenerates the lookup tables in ./data from the machine's own sources, so that our names and
// numbers are the ones Debian's auditctl uses. Run (needs the `auditd` and `libaudit-dev`
// packages): npx tsx harness/rules/generate-tables.ts
//   syscalls-x86_64.json, syscalls-i386.json  <- `ausyscall <arch> --dump`
//   errnos.json    <- /usr/include/asm-generic/errno-base.h + errno.h (libaudit's errtab uses exactly these)
//   msgtypes.json  <- names from `ausearch -m ?` (libaudit's msg_typetab, in its order),
//                     numbers from <linux/audit.h> and <libaudit.h>
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DATA = join(dirname(fileURLToPath(import.meta.url)), 'data');

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // ausearch exits 1 after printing the valid types: its output is still what we want
    const e = err as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
}

function syscalls(arch: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (const line of run('ausyscall', [arch, '--dump']).split('\n')) {
    const m = /^(\d+)\s+(\S+)$/.exec(line.trim());
    if (m) out.push([Number(m[1]), m[2]]);
  }
  if (out.length < 300) throw new Error(`ausyscall ${arch} --dump gave ${out.length} entries; is auditd installed?`);
  return out;
}

function errnos(): Array<[string, number]> {
  // Header order matters: for duplicate numbers auditctl prints the first name (EAGAIN, not EWOULDBLOCK).
  const text = ['/usr/include/asm-generic/errno-base.h', '/usr/include/asm-generic/errno.h']
    .map((p) => readFileSync(p, 'utf8')).join('\n');
  const byName = new Map<string, number>();
  const out: Array<[string, number]> = [];
  for (const m of text.matchAll(/^#define\s+(E[A-Z0-9]+)\s+(\w+)/gm)) {
    const value = /^\d+$/.test(m[2]) ? Number(m[2]) : byName.get(m[2]);
    if (value === undefined) throw new Error(`cannot resolve ${m[1]} = ${m[2]}`);
    byName.set(m[1], value);
    out.push([m[1], value]);
  }
  return out;
}

function msgtypes(): Array<[string, number]> {
  const listing = run('ausearch', ['-m', 'NO_SUCH_TYPE']);
  const m = /Valid message types are:(.*)/s.exec(listing);
  if (!m) throw new Error(`unexpected ausearch output: ${listing.slice(0, 200)}`);
  const names = m[1].trim().split(/\s+/).filter((n) => n !== 'ALL');
  const defines = new Map<string, number>();
  for (const p of ['/usr/include/linux/audit.h', '/usr/include/libaudit.h']) {
    for (const d of readFileSync(p, 'utf8').matchAll(/^#define\s+AUDIT_(\w+)\s+(\d+)\b/gm)) {
      if (!defines.has(d[1])) defines.set(d[1], Number(d[2]));
    }
  }
  // libaudit spells one define differently from the name it prints
  const defineFor: Record<string, string> = { APPARMOR: 'AA' };
  const out: Array<[string, number]> = [];
  for (const name of names) {
    const n = defines.get(defineFor[name] ?? name);
    if (n === undefined) throw new Error(`no #define AUDIT_${name} in the headers; install libaudit-dev`);
    out.push([name, n]);
  }
  return out;
}

function write(name: string, source: string, entries: unknown): void {
  const body = { generatedBy: 'harness/rules/generate-tables.ts', source, entries };
  writeFileSync(join(DATA, name), `${JSON.stringify(body, null, 0).replace(/\],\[/g, '],\n[')}\n`);
  console.log(`wrote data/${name}`);
}

write('syscalls-x86_64.json', 'ausyscall x86_64 --dump', syscalls('x86_64'));
write('syscalls-i386.json', 'ausyscall i386 --dump', syscalls('i386'));
write('errnos.json', 'asm-generic/errno-base.h, errno.h', errnos());
write('msgtypes.json', 'ausearch -m (names, libaudit order), linux/audit.h + libaudit.h (numbers)', msgtypes());
