// The bootstrap of the JavaScript entry points (the bins, shell scripts): find a module of the
// build (dist/, tsconfig.build.json's outDir), or say how to build it. Plain JavaScript, so an
// entry point starts without any TypeScript tooling. Code inside the package uses lib/paths.ts
// (programPath, packageFile) instead.
//
// As a program: `node lib/built-entry.mjs SOURCE.ts ARGS...` runs SOURCE's built JavaScript with
// ARGS (for shell scripts such as ci/gate).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);

/** the built module of a source (package-relative, `.ts` or `.js`), or exit 3 saying how to build it */
export function builtUrl(source, name) {
  const url = new URL(`dist/${source.replace(/\.ts$/, '.js')}`, root);
  if (!existsSync(url)) {
    process.stderr.write(`${name}: ${fileURLToPath(url)} is missing: the JavaScript is not built. ` +
      `Run \`npm run build\` (or \`npm install\`) in ${fileURLToPath(root)}\n`);
    process.exit(3);
  }
  return url;
}

export async function builtEntry(source, name) {
  return import(builtUrl(source, name).href);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [source, ...args] = process.argv.slice(2);
  if (!source) {
    process.stderr.write('usage: node lib/built-entry.mjs SOURCE.ts [ARGS...]\n');
    process.exit(2);
  }
  const url = builtUrl(source, source);
  process.argv = [process.argv[0], fileURLToPath(url), ...args];
  await import(url.href);
}
