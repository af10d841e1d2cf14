// junit.xml beside results.tap: one testcase per assertion, so CI systems that read JUnit (GitLab,
// Jenkins, GitHub test reporters) show each expectation of the scenario as its own test.
import type { RunSummary } from '../run/run-scenario.ts';
import { assertionValue, daemonLabel } from './format.ts';

// XML 1.0 forbids most control characters even escaped; a daemon's log text can carry them.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
export const xmlEsc = (s: unknown): string => String(s).replace(INVALID_XML, '\uFFFD')
  .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** JUnit XML for a run; `summary` null (a run that never reached its verdict) gives one failing case. */
export function toJUnit(summary: RunSummary | null, fallbackName = 'auditstorm run'): string {
  return junitDocument('auditstorm', [junitSuite(summary, fallbackName)]);
}

export interface JUnitSuite {
  xml: string;
  tests: number;
  failures: number;
  seconds: number;
}

/** One run as a <testsuite>: one testcase per assertion (the one JUnit writer: a run's junit.xml
 *  and a CI suite's, ci/lib/collect.ts, both use it). */
export function junitSuite(summary: RunSummary | null, fallbackName = 'auditstorm run', missingWhy = 'no summary.json: the run did not finish'): JUnitSuite {
  const label = summary ? daemonLabel(summary.daemon, summary.policy) : 'unknown';
  const suite = summary ? `${summary.scenario} with ${label}` : fallbackName;
  const classname = summary ? `auditstorm.${summary.scenario}.${label.replace(':', '-')}` : 'auditstorm';
  const cases: string[] = [];
  let failures = 0;
  if (!summary) {
    failures = 1;
    cases.push(`    <testcase classname="${xmlEsc(classname)}" name="run reached its verdict" time="0">\n` +
      `      <failure message="${xmlEsc(missingWhy)}" type="no-verdict"/>\n    </testcase>`);
  } else {
    for (const a of summary.assertions) {
      const head = `    <testcase classname="${xmlEsc(classname)}" name="${xmlEsc(a.name)}" time="0">`;
      if (a.ok) {
        cases.push(`${head}\n      <system-out>${xmlEsc(`actual ${assertionValue(a, a.actual)}, limit ${assertionValue(a, a.limit)}${a.detail ? `: ${a.detail}` : ''}`)}</system-out>\n    </testcase>`);
      } else {
        failures++;
        const msg = `actual ${assertionValue(a, a.actual)}, limit ${assertionValue(a, a.limit)}`;
        cases.push(`${head}\n      <failure message="${xmlEsc(msg)}" type="assertion">${xmlEsc(a.detail ?? msg)}</failure>\n    </testcase>`);
      }
    }
  }
  const tests = summary ? summary.assertions.length : 1;
  const seconds = summary ? summary.durationMs / 1000 : 0;
  const props = summary
    ? ['scenario', summary.scenario, 'daemon', label, 'seed', summary.seed, 'verdict', summary.verdict, 'kernel', summary.host?.kernel ?? '', 'dir', summary.dir]
    : [];
  const propXml = props.length
    ? `    <properties>\n${pairs(props).map(([k, v]) => `      <property name="${xmlEsc(k)}" value="${xmlEsc(v)}"/>`).join('\n')}\n    </properties>\n`
    : '';
  const xml = `  <testsuite name="${xmlEsc(suite)}" tests="${tests}" failures="${failures}" errors="0" skipped="0" time="${seconds.toFixed(3)}">\n` +
    propXml + cases.join('\n') + (cases.length ? '\n' : '') + '  </testsuite>\n';
  return { xml, tests, failures, seconds };
}

/** The <testsuites> document around suites. */
export function junitDocument(name: string, suites: JUnitSuite[]): string {
  const sum = (k: 'tests' | 'failures' | 'seconds') => suites.reduce((a, s) => a + s[k], 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="${xmlEsc(name)}" tests="${sum('tests')}" failures="${sum('failures')}" errors="0" time="${sum('seconds').toFixed(3)}">\n` +
    suites.map((s) => s.xml).join('') + '</testsuites>\n';
}

function pairs(a: unknown[]): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (let i = 0; i + 1 < a.length; i += 2) out.push([String(a[i]), a[i + 1]]);
  return out;
}
