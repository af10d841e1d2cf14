// Name <-> number tables that auditctl uses, loaded from the generated JSON in ./data
// (regenerate with `npx tsx harness/rules/generate-tables.ts`). Lookups by name are
// case-insensitive, as in libaudit; number -> name gives the first name listed, as libaudit does.
import { readFileSync } from 'node:fs';
import { packageFile } from '../../lib/paths.ts';

interface Table {
  byName: ReadonlyMap<string, number>;
  byNumber: ReadonlyMap<number, string>;
}

function load(file: string, upper: boolean, numberFirst: boolean): Table {
  const raw = JSON.parse(readFileSync(packageFile(`harness/rules/data/${file}`), 'utf8')) as {
    entries: Array<[number, string] | [string, number]>;
  };
  const byName = new Map<string, number>();
  const byNumber = new Map<number, string>();
  for (const entry of raw.entries) {
    const [n, name] = numberFirst ? (entry as [number, string]) : [(entry as [string, number])[1], (entry as [string, number])[0]];
    const key = upper ? name.toUpperCase() : name.toLowerCase();
    if (!byName.has(key)) byName.set(key, n);
    if (!byNumber.has(n)) byNumber.set(n, name);
  }
  return { byName, byNumber };
}

/** A table read from its JSON file on first use: a command that names no syscall reads none. */
function lazy(file: string, upper: boolean, numberFirst: boolean): () => Table {
  let table: Table | undefined;
  return () => (table ??= load(file, upper, numberFirst));
}

export const syscallsX86_64 = lazy('syscalls-x86_64.json', false, true);
export const syscallsI386 = lazy('syscalls-i386.json', false, true);
const errnos = lazy('errnos.json', true, false);
const msgTypes = lazy('msgtypes.json', true, false);

/** errno number for a name like EACCES (case-insensitive), or undefined */
export const errnoByName = (name: string): number | undefined => errnos().byName.get(name.toUpperCase());
export const errnoName = (n: number): string | undefined => errnos().byNumber.get(n);
/** record type number for a name like USER_LOGIN, as libaudit's msg_typetab has it */
export const msgTypeByName = (name: string): number | undefined => msgTypes().byName.get(name.toUpperCase());
export const msgTypeName = (n: number): string | undefined => msgTypes().byNumber.get(n);

/** -F filetype= names -> S_IF* mode bits (libaudit's ftypetab) */
export const FILETYPES: ReadonlyMap<string, number> = new Map([
  ['socket', 0o140000], ['link', 0o120000], ['file', 0o100000], ['block', 0o60000],
  ['dir', 0o40000], ['character', 0o20000], ['fifo', 0o10000],
]);

/** -F fstype= names (libaudit's fstypetab): the filesystem list filters on these */
export const FSTYPES: ReadonlyMap<string, number> = new Map([['debugfs', 0x64626720], ['tracefs', 0x74726163]]);
export const fsTypeName = (n: number): string | undefined =>
  [...FSTYPES].find(([, v]) => v === n)?.[0];
