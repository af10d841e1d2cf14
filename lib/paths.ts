// Where the package's files are, whether this module runs from the TypeScript sources (tests,
// development under tsx) or from the built JavaScript in dist/. The build emits JavaScript only;
// every other file the code reads or runs (report assets, JSON tables, shell and .mjs scripts,
// rule files, scenarios, the native addon, package.json) is found from the package root, where it
// lives in the source tree and in the published tarball alike.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** where tsc writes the JavaScript (tsconfig.build.json's outDir) */
export const BUILD_DIR_NAME = 'dist';

function findRoot(): string {
  // lib/paths.ts or dist/lib/paths.js: the first ancestor holding package.json
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`auditstorm: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** the package's root directory (holds package.json) */
export const PACKAGE_ROOT = findRoot();

/** absolute path of a file shipped with the package, given relative to the package root */
export function packageFile(rel: string): string {
  return resolve(PACKAGE_ROOT, rel);
}

/**
 * The built JavaScript program for a TypeScript source file, to hand to `node`, a Worker or
 * spawn: 'loads/generators/open-close.ts' (relative to the package root, or absolute inside it)
 * -> <root>/dist/loads/generators/open-close.js. Throws, saying how to build, when it is missing.
 */
export function programPath(source: string): string {
  const rel = isAbsolute(source) ? relative(PACKAGE_ROOT, source) : source;
  if (rel.startsWith('..') || !rel.endsWith('.ts')) throw new Error(`programPath: ${source} is not a .ts file inside ${PACKAGE_ROOT}`);
  const built = join(PACKAGE_ROOT, BUILD_DIR_NAME, rel.slice(0, -3) + '.js');
  if (!existsSync(built)) {
    throw new Error(`${built} is missing: the JavaScript is not built. Run \`npm run build\` (or \`npm install\`) in ${PACKAGE_ROOT}`);
  }
  return built;
}

let version: string | undefined;
/** the package's version, from package.json (the one place it is written) */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
