// The scenario JSON Schema is generated from the zod schema, the checked-in copy is current, every
// library file points at it, and the schema describes what validate accepts (tolerance keys are
// optional one by one, units are strings with a pattern that matches the library's values).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { parse } from 'yaml';
import { scenarioJsonSchemaText, scenarioJsonSchema, SCHEMA_FILE } from '../../../harness/scenario/json-schema.ts';
import { listScenarioFiles, PROJECT_ROOT, validateScenario, SCENARIOS_DIR } from '../../../harness/scenario/load-scenario.ts';

t.test('the checked-in schema is the generated one (run: auditstorm schema > loads/scenario.schema.json)', async (t) => {
  t.equal(readFileSync(join(PROJECT_ROOT, SCHEMA_FILE), 'utf8'), scenarioJsonSchemaText());
});

t.test('every library scenario references the schema for editor completion', async (t) => {
  const files = [...listScenarioFiles().map((f) => join(SCENARIOS_DIR, f)), join(PROJECT_ROOT, 'loads/bench/openat-max.yaml')];
  t.ok(files.length >= 10);
  for (const f of files) {
    const first = readFileSync(f, 'utf8').split('\n')[0];
    const rel = relative(dirname(f), join(PROJECT_ROOT, SCHEMA_FILE));
    t.equal(first, `# yaml-language-server: $schema=${rel}`, f);
  }
});

t.test('unit patterns in the schema accept the values the library uses', async (t) => {
  const schema = scenarioJsonSchema() as { properties: Record<string, { pattern?: string }> };
  const durationPattern = new RegExp(schema.properties.duration!.pattern!);
  for (const f of listScenarioFiles().map((n) => join(SCENARIOS_DIR, n))) {
    const doc = parse(readFileSync(f, 'utf8')) as { duration: string };
    t.match(doc.duration, durationPattern, `${f}: duration`);
  }
  t.notMatch('10', durationPattern, 'a bare number is no duration');
});

t.test('expect.tolerance takes any subset of its keys (the docs example), and refuses unknown ones', async (t) => {
  const base = `name: tol\ndescription: d\nduration: 5s\nrules: openat-storm.rules\nloads: [{generator: open-close}]\n`;
  const opts = { path: join(SCENARIOS_DIR, 'tol.yaml') };
  const s = validateScenario(`${base}expect:\n  peak_rss_max: hwm\n  tolerance:\n    peak_rss: 15%\n    events_per_sec: 10%\n    backlog_wait: 500ms\n`, opts);
  t.equal(s.name, 'tol');
  t.throws(() => validateScenario(`${base}expect:\n  tolerance:\n    peak_rsss: 15%\n`, opts), /peak_rsss|tolerance/);
});
