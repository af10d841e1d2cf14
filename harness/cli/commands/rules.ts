// rules check / load / list: the rule compiler from the command line.
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode } from '../exit-codes.ts';
import { CliError } from '../output.ts';

export function registerRulesCommands(program: Command, run: (fn: () => Promise<number>) => void): void {
  const rules = program.command('rules').description('audit rule files in auditctl syntax');

  rules.command('check')
    .argument('<file...>', 'rule files')
    .description('compile rule files without touching the kernel; print each rule as auditctl -l would')
    .option('--quiet', 'print only errors')
    .action((files: string[], opts: { quiet?: boolean }) => run(async () => {
      const { rulesCheck } = await import('../../rules/commands.ts');
      const report = rulesCheck(files);
      for (const f of report.files) {
        if (!f.ok) {
          console.error(f.error!.message);
          continue;
        }
        if (opts.quiet) continue;
        console.log(`${f.file}: ${f.rules} rule(s)${f.unscoped ? `, ${f.unscoped} NOT scoped to an auid or pid` : ''}`);
        for (const c of f.canonical) console.log(`  ${c}`);
      }
      return report.ok ? ExitCode.OK : ExitCode.USAGE;
    }));

  rules.command('load')
    .argument('<file...>', 'rule files')
    .description('load rule files for a while, then take exactly them out again (Ctrl-C ends it sooner)')
    .option('--auid <n>', 'the auid that fills @AUID@ (default: a random one of the run range)')
    .option('--scratch <dir>', 'the directory that fills @SCRATCH@')
    .option('--allow-unscoped', 'allow rules with no auid= or pid= field (they audit the whole machine)')
    .option('--for <duration>', 'how long to keep them loaded', '1h')
    .action((files: string[], opts: { auid?: string; scratch?: string; allowUnscoped?: boolean; for: string }) => run(async () => {
      const auid = opts.auid === undefined ? undefined : Number(opts.auid);
      if (auid !== undefined && !(Number.isInteger(auid) && auid >= 0 && auid < 4294967295)) {
        throw new CliError(`--auid ${opts.auid}: must be an integer from 0 to 4294967294`, ExitCode.USAGE);
      }
      const [{ rulesLoad }, { withHostSession }, { parseDuration }] = await Promise.all([
        import('../../rules/commands.ts'), import('../../host/with-host-session.ts'), import('../../scenario/units.ts'),
      ]);
      const holdMs = parseDuration(opts.for);
      return withHostSession(async ({ session, signal }) => {
        const result = await rulesLoad(session, files, { auid, scratch: opts.scratch, allowUnscoped: opts.allowUnscoped });
        console.log(`loaded ${result.added.length} rule(s) for auid ${result.auid}; they are removed after ${opts.for} or on Ctrl-C`);
        await sleep(holdMs, undefined, { signal }).catch(() => undefined);
        return ExitCode.OK;
      }, { onRestore: (r) => console.log(`restored: ${r.restored.length} change(s)${r.failed.length ? `; NOT restored: ${r.failed.join('; ')}` : ''}`) });
    }));

  rules.command('list')
    .description("the kernel's rules as auditctl -l prints them")
    .action(() => run(async () => {
      const [{ AuditControl }, { rulesList }] = await Promise.all([import('../../kernel/audit-control.ts'), import('../../rules/commands.ts')]);
      const ctl = await AuditControl.open();
      try {
        const listed = await rulesList(ctl);
        console.log(listed.length ? listed.map((r) => r.text).join('\n') : 'No rules');
        return ExitCode.OK;
      } finally {
        ctl.close();
      }
    }));
}
