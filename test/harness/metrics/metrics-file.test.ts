// metrics.jsonl: written by the writer, read back; a torn last line is tolerated, a bad line
// elsewhere names file:line.
import t from 'tap';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsWriter } from '../../../harness/metrics/metrics-writer.ts';
import { readMetrics } from '../../../harness/metrics/metrics-reader.ts';

const sampleLine = (t: number) => ({ t, ts: t, pid: 1, rss: 1, hwm: 1, rssAll: 1, cpu: 0, cpuSec: 0, cgroup: null, kernel: null,
  memAvailable: 1, daemon: null, load: { eventsPerSec: 0, total: 0 } });

t.test('round trip', async (t) => {
  const path = join(t.testdir(), 'sub', 'metrics.jsonl');
  const w = new MetricsWriter(path);
  for (let i = 0; i < 100; i++) w.write(sampleLine(i * 100));
  w.write({ t: 5, ts: 5, event: 'fault-start', kind: 'stall-daemon' });
  await w.close();
  await w.close();
  w.write(sampleLine(1));
  t.equal(w.linesWritten, 101);
  t.equal(w.linesDropped, 1, 'writes after close are counted as dropped');
  const m = await readMetrics(path);
  t.equal(m.samples.length, 100);
  t.same(m.events, [{ t: 5, ts: 5, event: 'fault-start', kind: 'stall-daemon' }]);
  t.equal(m.truncatedTail, false);
});

t.test('a torn last line is skipped and flagged', async (t) => {
  const path = join(t.testdir(), 'metrics.jsonl');
  writeFileSync(path, JSON.stringify(sampleLine(0)) + '\n');
  appendFileSync(path, '{"t":100,"ts":1');
  const m = await readMetrics(path);
  t.equal(m.samples.length, 1);
  t.equal(m.truncatedTail, true);
});

t.test('a bad line in the middle is an error with file:line', async (t) => {
  const path = join(t.testdir(), 'metrics.jsonl');
  writeFileSync(path, `${JSON.stringify(sampleLine(0))}\nnot json\n${JSON.stringify(sampleLine(1))}\n`);
  await t.rejects(readMetrics(path), new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: not JSON`));
  writeFileSync(path, `{"x":1}\n${JSON.stringify(sampleLine(1))}\n`);
  await t.rejects(readMetrics(path), /:1: expected an object with a numeric `t`/);
});
