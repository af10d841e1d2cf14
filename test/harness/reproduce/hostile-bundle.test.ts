// reproduce on a hostile bundle (derivation only, no kernel): `../` in field watches, symlinks
// out of the bundle, broken and looping symlinks, a gzip bomb, implausible figures. Nothing may
// be written outside the output folder, and each refused file is reported with its reason.
import t from 'tap';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { reproduce } from '../../../harness/reproduce/reproduce.ts';
import { BUNDLE_LIMITS, readBundleFiles } from '../../../harness/reproduce/bundle-files.ts';
import { deriveFromBundle } from '../../../harness/reproduce/derive.ts';

const example = fileURLToPath(new URL('../../../loads/bundles/backlog-storm/', import.meta.url));

/** every path under dir, relative, sorted */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      out.push(relative(dir, p));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

t.test('a hostile bundle: nothing written outside the output folder, every refusal reported', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'hostile-bundle-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const bundle = join(root, 'bundle');
  const out = join(root, 'out');
  const outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'host-secret.txt'), 'MemTotal:       99999999 kB\n');
  cpSync(example, bundle, { recursive: true });
  // field watches that climb out of wherever they are put
  writeFileSync(join(bundle, 'audit.rules'), [
    '-a always,exit -F dir=/../../../../../../../../tmp/escaped-by-dir -F perm=wa -k climb',
    `-w /var/log/../../../../..${root}/escaped-by-watch/ -p wa -k climb2`,
    '-a always,exit -F arch=b64 -S openat -F dir=/nonexistent-field-dir -k inside',
    '',
  ].join('\n'));
  symlinkSync(join(outside, 'host-secret.txt'), join(bundle, 'meminfo-link.txt'));
  symlinkSync('../outside/host-secret.txt', join(bundle, 'relative-link.txt'));
  symlinkSync('/etc/shadow', join(bundle, 'shadow.txt'));
  symlinkSync(join(bundle, 'no-such-file'), join(bundle, 'broken.txt'));
  symlinkSync(join(bundle, 'loop-b'), join(bundle, 'loop-a'));
  symlinkSync(join(bundle, 'loop-a'), join(bundle, 'loop-b'));
  symlinkSync('/dev/zero', join(bundle, 'zero.log'));
  mkdirSync(join(bundle, 'subdir'));
  // a gzip bomb: a few hundred KiB that expand past the per-file limit
  writeFileSync(join(bundle, 'audit.log.9.gz'), gzipSync(Buffer.alloc(BUNDLE_LIMITS.decompressedBytes + 1024 * 1024), { level: 1 }));
  // implausible figures
  writeFileSync(join(bundle, 'auditctl-s-2.txt'), 'enabled 1\nbacklog_limit 100000000000000000000\nrate_limit 0\nlost 0\n');

  const before = tree(root).filter((p) => !p.startsWith('out'));
  const result = await reproduce({ bundle, outRoot: out, dryRun: true });
  const after = tree(root).filter((p) => !p.startsWith('out'));
  t.same(after, before, 'nothing created, removed or renamed outside the output folder');
  t.notOk(existsSync('/tmp/escaped-by-dir'), 'no directory made from a dir= path with ..');
  t.notOk(existsSync(join(root, 'escaped-by-watch')), 'no directory made from a -w path with ..');
  t.ok(tree(out).length > 0, 'the output folder holds the derived scenario');

  const ignored = result.derived.bundle.ignored;
  const why = (name: string) => ignored.find((i) => i.where === name)?.why ?? '';
  t.match(why('meminfo-link.txt'), /symlink out of the bundle.*not followed/);
  t.match(why('relative-link.txt'), /symlink out of the bundle/);
  t.match(why('shadow.txt'), /symlink out of the bundle/);
  t.match(why('zero.log'), /symlink out of the bundle/);
  t.match(why('broken.txt'), /broken symlink/);
  t.match(why('loop-a'), /symlink loop/);
  t.match(why('subdir'), /a directory/);
  t.match(why('audit.log.9.gz'), /gzip data that expands past 256 MiB/);
  t.ok(ignored.some((i) => /audit\.rules:1/.test(i.where) && /"\.\." segment/.test(i.why)), 'dir= with .. refused with its line');
  t.ok(ignored.some((i) => /audit\.rules:2/.test(i.where) && /"\.\." segment/.test(i.why)), '-w with .. refused with its line');
  t.ok(ignored.some((i) => /auditctl-s-2\.txt:2/.test(i.where) && /backlog_limit 1000000000000000\.\.\. \(21 digits\) is outside/.test(i.why)), 'an implausible backlog_limit is reported, not used');
  t.not(result.derived.kernel.backlogLimit.value, 1e20);
  t.not(result.derived.memory.totalBytes.value, 99999999 * 1024, 'the host file behind a symlink was not read');
});

t.test('log timestamps of 0 and 1e23, and a log spanning weeks, derive without a crash', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-time-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rec = (sec: string, n: number) => `type=SYSCALL msg=audit(${sec}.000:${n}): arch=c000003e syscall=257 success=yes exit=3 auid=1000 key="k"\ntype=EOE msg=audit(${sec}.000:${n}): `;
  const start = 1_700_000_000;
  writeFileSync(join(dir, 'audit.log'), [
    rec('0', 1), rec('100000000000000000000000', 2),
    ...Array.from({ length: 50 }, (_, i) => rec(String(start + i), 10 + i)),
    rec(String(start + 21 * 86_400), 99), // three weeks later
    '',
  ].join('\n'));
  const d = deriveFromBundle(dir);
  t.ok(d.bundle.ignored.some((i) => /timestamp 0 is outside 2000\.\.2100/.test(i.why)));
  t.ok(d.bundle.ignored.some((i) => /timestamp 10000000000000\.\.\. \(24 digits\) is outside/.test(i.why)));
  t.ok(d.bundle.ignored.some((i) => /spans 21\.0 days; the per-second profile covers the first 7 days, so 1 later event/.test(i.why)));
});

t.test('a bundle file that is not UTF-8 is read byte for byte and says so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-latin1-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'notes.txt'), Buffer.concat([Buffer.from('the caf'), Buffer.from([0xe9]), Buffer.from(' server ran out of memory\n')]));
  const files = readBundleFiles(dir);
  t.match(files.files[0].lines[0], 'café');
  t.ok(files.ignored.some((i) => i.where === 'notes.txt:1' && /0xe9 at column 8 is not UTF-8: the file is read as Latin-1/.test(i.why)));
});
