// The documentation's figure is of a library scenario, made by the command anyone can rerun:
// docs/report.json (written with docs/report.png by `npm run docs:figures`) names the scenario,
// daemon and command; the README's image and its caption say the same.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, listScenarioFiles } from '../../harness/scenario/load-scenario.ts';

const sidecar = JSON.parse(readFileSync(join(PROJECT_ROOT, 'docs/report.json'), 'utf8')) as
  { figure: string; scenario: string; library: string; daemon: string; command: string; run: string; verdict: string };

t.test('docs/report.png is of a library scenario run', async (t) => {
  const library = listScenarioFiles().map((f) => f.slice(f.lastIndexOf('/') + 1).replace(/\.yaml$/, ''));
  t.ok(library.includes(sidecar.scenario), `${sidecar.scenario} is a library scenario (${library.join(', ')})`);
  t.equal(sidecar.library, `loads/scenarios/${sidecar.scenario}.yaml`);
  t.ok(existsSync(join(PROJECT_ROOT, sidecar.library)), `${sidecar.library} exists`);
  t.match(sidecar.run, new RegExp(`^auditstorm run ${sidecar.scenario} `), 'the recorded run is of that scenario');
  t.match(sidecar.daemon, /^(tsauditd:(block|drop|unbounded)|auditd|command.*)$/);
  t.match(sidecar.verdict, /^(pass|fail)$/);
});

t.test('made by a command that exists, and the PNG is there', async (t) => {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.equal(sidecar.command, 'npm run docs:figures');
  t.match(pkg.scripts['docs:figures'], /docs\/figures\.sh/, 'package.json runs docs/figures.sh');
  t.ok(existsSync(join(PROJECT_ROOT, 'docs/figures.sh')));
  const png = readFileSync(join(PROJECT_ROOT, sidecar.figure));
  t.same([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${sidecar.figure} is a PNG`);
  t.equal(png.readUInt32BE(16), 1280, 'rendered 1280 px wide');
});

t.test("the README's figure says which run it shows", async (t) => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const img = /!\[([^\]]*)\]\(docs\/report\.png\)/.exec(readme);
  t.ok(img, 'README.md shows docs/report.png');
  t.match(img?.[1] ?? '', sidecar.scenario, 'its alt text names the scenario');
  t.match(img?.[1] ?? '', sidecar.daemon, 'and the daemon');
});
