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
      // undo-kinds registers how to undo each kind of change the state file can hold
      const [{ resetFromStateFile }, { removeLeftoverCgroups }] = await Promise.all([
        import('../../host/host-session.ts'), import('../../host/cgroup-cleanup.ts'), import('../../host/undo-kinds.ts'),
        // the fault modules register their own undo kinds: `reset` must know them too
        import('../../faults/kinds.ts'),
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
