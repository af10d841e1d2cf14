// ci/check-clean compares the host with the snapshot its job took: a host that had audit enabled
// and a rule of its own before the job passes; a rule left behind fails, named. The host's own
// state is made here (audit on, one rule scoped to a test auid) and restored to what this test
// found. The cgroup scan finds v1, pure v2 and delegated v2 paths (a fake tree).
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../harness/scenario/load-scenario.ts';
import { findRunCgroups, takeHostSnapshot } from '../../harness/host/host-snapshot.ts';

const skip = process.getuid?.() !== 0 ? 'needs root (kernel audit)' : false;
const checkClean = (...args: string[]) => spawnSync(join(PROJECT_ROOT, 'ci/check-clean'), args, { encoding: 'utf8' });
const auditctl = (...args: string[]) => execFileSync('auditctl', args, { encoding: 'utf8' });

t.test('the cgroup scan finds auditstorm groups on v1, pure v2 and delegated v2 paths', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cg-scan-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const d of ['memory/auditstorm-a', 'auditstorm-b', 'system.slice/runner.service/auditstorm-c', 'unified/auditstorm-d', 'memory/other']) {
    mkdirSync(join(root, d), { recursive: true });
  }
  t.same(findRunCgroups(root).map((p) => p.slice(root.length + 1)),
    ['auditstorm-b', 'memory/auditstorm-a', 'system.slice/runner.service/auditstorm-c', 'unified/auditstorm-d']);
});

t.test('passes on a host that had audit enabled and its own rule; fails when a rule is left behind', { skip }, async (t) => {
  const found = takeHostSnapshot();
  t.equal(found.audit?.pid, 0, 'no daemon registered (the test does not touch one)');
  const dir = mkdtempSync(join(tmpdir(), 'check-clean-'));
  const auid = 4_290_000_000 + Math.floor(Math.random() * 1_000_000);
  const hostRule = ['-a', 'always,exit', '-F', 'arch=b64', '-S', 'unlinkat', '-F', `auid=${auid}`, '-k', 'host-own'];
  const leftRule = ['-a', 'always,exit', '-F', 'arch=b64', '-S', 'renameat', '-F', `auid=${auid}`, '-k', 'left-behind'];
  t.teardown(() => {
    for (const r of [hostRule, leftRule]) spawnSync('auditctl', ['-d', ...r.slice(1)]);
    auditctl('-e', String(found.audit?.enabled ?? 0));
    rmSync(dir, { recursive: true, force: true });
  });
  // the host as a field VM has it before the job: audit on, a rule of its own
  auditctl('-e', '1');
  auditctl(...hostRule);
  const snap = join(dir, 'host-before.json');
  t.equal(checkClean('--save', snap).status, 0, 'snapshot saved');

  const ok = checkClean('--against', snap);
  t.equal(ok.status, 0, `passes: ${ok.stdout}${ok.stderr}`);
  t.match(ok.stdout, /host is as found/);

  auditctl(...leftRule);
  const bad = checkClean('--against', snap);
  t.equal(bad.status, 1, 'a rule left behind fails the check');
  t.match(bad.stdout, /audit rule left behind: .*left-behind/);
  spawnSync('auditctl', ['-d', ...leftRule.slice(1)]);

  auditctl('-e', '0');
  const off = checkClean('--against', snap);
  t.equal(off.status, 1, 'audit switched off by the job fails too');
  t.match(off.stdout, /audit enabled is 0, was 1/);
  auditctl('-e', '1');

  // against a clean host (no snapshot) the same host fails: the old check's mistake, now named
  const legacy = checkClean();
  t.equal(legacy.status, 1);
  t.match(legacy.stdout, /no snapshot/);
});

t.test('the kernel is as this file found it', { skip }, async (t) => {
  const now = takeHostSnapshot();
  t.equal(now.audit?.pid, 0);
  t.notOk(now.rules.some((r) => /host-own|left-behind/.test(r)), 'test rules removed');
});
