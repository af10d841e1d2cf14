// The slow check (AUDITSTORM_FULL=1, minutes): every library scenario runs to the end under
// tsauditd block and under auditd with its faults applied and undone, and the machine is left as
// found. The full matrix with its table is `npm run scenarios`.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, rulesSnapshot, settingsSnapshot } from '../../helpers/kernel.ts';
import { loadScenario, resolveScenarioPath } from '../../../harness/scenario/load-scenario.ts';
import { runScenario } from '../../../harness/run/run-scenario.ts';
import { LIBRARY } from '../../../harness/run/run-all.ts';

const skip = !isRoot ? 'needs root' : process.env.AUDITSTORM_FULL !== '1' ? 'slow: set AUDITSTORM_FULL=1 (or run `npm run scenarios`)' : false;

for (const name of LIBRARY) {
  for (const daemon of ['tsauditd', 'auditd'] as const) {
    t.test(`${name} with ${daemon}`, { skip }, async (t) => {
      const out = mkdtempSync(join(tmpdir(), 'auditstorm-lib-'));
      t.teardown(() => rmSync(out, { recursive: true, force: true }));
      const settings = settingsSnapshot();
      const rules = rulesSnapshot();
      const scenario = loadScenario(resolveScenarioPath(name), { daemon, duration: '15s' });
      const o = await runScenario({ scenario, outRoot: out, lockWaitMs: 600_000 });
      t.equal(o.summary.ended, 'completed');
      t.ok(o.summary.assertions.find((a) => a.name === 'faults applied and undone')?.ok ?? scenario.faults.length === 0, o.summary.warnings.join('; '));
      t.equal(o.summary.faults.length >= scenario.faults.length, true, 'every fault has a window');
      t.equal(settingsSnapshot(), settings);
      t.equal(rulesSnapshot(), rules);
    });
  }
}
