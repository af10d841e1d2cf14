// The generator registry: what the runner starts for each `generator:` of a scenario, and what
// each one counts. Metadata only: importing this file starts nothing.
import type { GeneratorName } from './options.ts';

export type { GeneratorName } from './options.ts';
export { GENERATOR_NAMES } from './options.ts';

export interface GeneratorInfo {
  /** the generator's source, relative to the package root; its program is programPath(script) (the built JavaScript: run with `node SCRIPT CONFIG_JSON`) */
  script: string;
  /** what one operation is and which audited syscalls it makes */
  auditedPerOp: string;
  /**
   * the rule file in rules/ whose rules audit exactly what `auditedSyscalls` counts;
   * null: the records do not depend on rules (user messages)
   */
  ruleSet: string | null;
  /**
   * The minimal rules (auditctl syntax, placeholders @AUID@, @SCRATCH@, @KEY@) under which the
   * count is exact; the generator tests load these and compare with the kernel's records.
   */
  testRules: string[];
  /**
   * What the generator makes that a rule must audit for its count to hold: x86_64 syscall names
   * (all of them), or `user-records` for records the kernel logs whatever the exit rules.
   * `scratch`: the syscalls touch files in the load's scratch dir (a dir= rule on it covers them).
   */
  makes: { syscalls: string[]; scratch: boolean } | 'user-records';
}

// resolved when a generator starts, so importing the registry needs no build
const script = (name: string) => `loads/generators/${name}.ts`;

export const generators: Record<GeneratorName, GeneratorInfo> = {
  'open-close': {
    makes: { syscalls: ['openat'], scratch: true },
    script: script('open-close'),
    auditedPerOp: 'one openat (fs.openSync + closeSync of a scratch file)',
    ruleSet: 'openat-storm.rules',
    testRules: ['-a always,exit -F arch=b64 -S openat -F auid=@AUID@ -k @KEY@'],
  },
  stat: {
    makes: { syscalls: ['statx'], scratch: true },
    script: script('stat'),
    auditedPerOp: 'one statx (fs.statSync of a scratch file)',
    ruleSet: 'stat-storm.rules',
    testRules: ['-a always,exit -F arch=b64 -S statx,newfstatat -F auid=@AUID@ -k @KEY@'],
  },
  'file-write': {
    makes: { syscalls: ['openat', 'rename', 'unlink'], scratch: true },
    script: script('file-write'),
    auditedPerOp: 'three: openat(O_CREAT|O_WRONLY), rename, unlink in the scratch dir (write(2) has no path, a dir/perm=wa rule does not see it)',
    ruleSet: 'file-watch.rules',
    testRules: ['-a always,exit -F dir=@SCRATCH@ -F perm=wa -F auid=@AUID@ -k @KEY@'],
  },
  'fork-exec': {
    makes: { syscalls: ['clone', 'execve'], scratch: false },
    script: script('fork-exec'),
    auditedPerOp: 'two: the clone that creates the child and its execve of /bin/true (spawnSync)',
    ruleSet: 'execve-storm.rules',
    testRules: [
      '-a always,exit -F arch=b64 -S execve,execveat -F auid=@AUID@ -k @KEY@',
      '-a always,exit -F arch=b64 -S clone,clone3,fork,vfork -F auid=@AUID@ -k @KEY@',
    ],
  },
  tcp: {
    makes: { syscalls: ['connect', 'accept4'], scratch: false },
    script: script('tcp'),
    auditedPerOp: 'two: one connect to a 127.0.0.1 listener in the same process and one successful accept4 (libuv\'s EAGAIN accept4 calls are not counted: audit accepts with success=1)',
    ruleSet: 'network.rules',
    testRules: [
      '-a always,exit -F arch=b64 -S connect -F auid=@AUID@ -k @KEY@',
      '-a always,exit -F arch=b64 -S accept,accept4 -F success=1 -F auid=@AUID@ -k @KEY@',
    ],
  },
  http: {
    makes: { syscalls: ['connect', 'accept4'], scratch: false },
    script: script('http'),
    auditedPerOp: 'an op is one HTTP request (autocannon -> a node:http server, both in the process); audited: one connect and one successful accept4 per connection, not per request',
    ruleSet: 'network.rules',
    testRules: [
      '-a always,exit -F arch=b64 -S connect -F auid=@AUID@ -k @KEY@',
      '-a always,exit -F arch=b64 -S accept,accept4 -F success=1 -F auid=@AUID@ -k @KEY@',
    ],
  },
  'user-message': {
    makes: 'user-records',
    script: script('user-message'),
    auditedPerOp: 'one user-space record (AUDIT_USER range) per op, sent with AuditControl.sendUserMessage; counted as records, not syscalls; logged whenever audit is enabled, whatever the rules',
    ruleSet: null,
    testRules: [],
  },
};
