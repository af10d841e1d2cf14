// preflight, status, reset, setup: the commands about the machine itself.
import type { Command } from 'commander';
import { ExitCode } from '../exit-codes.ts';

export function registerHostCommands(program: Command, run: (fn: () => Promise<number>) => void): void {
  program.command('preflight')
    .description('check that this machine can run auditstorm; each failing check says what to do')
    .option('--json', 'print the checks as JSON')
    .action((opts: { json?: boolean }) => run(async () => {
      const { formatChecks, preflight } = await import('../../host/preflight.ts');
      const checks = await preflight();
      console.log(opts.json ? JSON.stringify(checks, null, 2) : formatChecks(checks));
      return checks.some((c) => c.level === 'fail') ? ExitCode.ENVIRONMENT : ExitCode.OK;
    }));

  program.command('status')
    .description("the kernel's audit status, like auditctl -s")
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }) => run(async () => {
      const { AuditControl } = await import('../../kernel/audit-control.ts');
      const control = await AuditControl.open();
      try {
        const s = await control.getStatus();
        const daemon = await control.registeredDaemon();
        if (opts.json) {
          console.log(JSON.stringify({ ...s, daemon }, null, 2));
        } else {
          console.log([
            `enabled ${s.enabled}`, `failure ${s.failure}`, `pid ${s.pid}${daemon ? ` (${daemon.comm ?? 'gone'})` : ''}`,
            `rate_limit ${s.rateLimit}`, `backlog_limit ${s.backlogLimit}`, `lost ${s.lost}`, `backlog ${s.backlog}`,
            `backlog_wait_time ${s.backlogWaitTime} (${s.backlogWaitTimeMs} ms)`,
            `backlog_wait_time_actual ${s.backlogWaitTimeActual} (${s.backlogWaitTimeActualMs} ms)`,
          ].join('\n'));
        }
        return ExitCode.OK;
      } finally {
        control.close();
      }
    }));

  program.command('reset')
    .description('restore the machine after a run that was killed before it could (uses the state file)')
    .action(() => run(async () => {
      // the state file's undo records are steps the host layer carries out: no other layer is loaded
      const [{ resetFromStateFile }, { removeLeftoverCgroups }] = await Promise.all([
        import('../../host/host-session.ts'), import('../../host/cgroup-cleanup.ts'),
      ]);
      const r = await resetFromStateFile();
      // cgroups whose owner died before it could record them in the state file
      const groups = await removeLeftoverCgroups({ kill: true });
      for (const g of groups.removed) r.restored.push(`removed leftover cgroup ${g}`);
      if (!r.found && groups.removed.length === 0) {
        console.log('nothing to reset: no run left state behind');
        return ExitCode.OK;
      }
      for (const line of r.restored) console.log(`restored: ${line}`);
      for (const line of r.failed) console.error(`NOT restored: ${line}`);
      return r.failed.length ? ExitCode.FAILED : ExitCode.OK;
    }));

  program.command('host-snapshot')
    .description('save the host state a CI job found (audit settings, rules, cgroups, mounts), or compare the host with it (exit 1 on a difference)')
    .option('--save <file>', 'write the snapshot')
    .option('--against <file>', 'compare with a saved snapshot (without: with a clean host)')
    .action((opts: { save?: string; against?: string }) => run(async () => {
      const { takeHostSnapshot, diffHostSnapshot, CLEAN_HOST } = await import('../../host/host-snapshot.ts');
      const { readFileSync, writeFileSync } = await import('node:fs');
      const now = takeHostSnapshot();
      if (opts.save) {
        writeFileSync(opts.save, `${JSON.stringify(now, null, 2)}\n`);
        console.log(`host snapshot: ${opts.save} (enabled ${now.audit?.enabled ?? '?'}, pid ${now.audit?.pid ?? '?'}, ${now.rules.length} rule(s))`);
        return ExitCode.OK;
      }
      const before = opts.against ? JSON.parse(readFileSync(opts.against, 'utf8')) : CLEAN_HOST;
      const diff = diffHostSnapshot(before, now);
      for (const d of diff) console.log(`host differs: ${d}`);
      if (!diff.length) console.log(`host as found${opts.against ? ` (${opts.against})` : ' (a clean host: no snapshot given)'}`);
      return diff.length ? ExitCode.FAILED : ExitCode.OK;
    }));

  program.command('setup')
    .description('install or check what runs need beyond npm (Debian auditd tools, disk tools, the native socket)')
    .option('--quiet', 'print only problems')
    .option('--browser', 'also install Debian\'s chromium (report --screenshot, the report browser test, npm run docs:figures)')
    .action((opts: { quiet?: boolean; browser?: boolean }) => run(async () => {
      const { setup } = await import('../../host/setup.ts');
      setup((line) => console.log(`auditstorm setup: ${line}`), { browser: opts.browser });
      if (!opts.quiet) console.log('auditstorm setup: ready');
      return ExitCode.OK;
    }));
}
