// The library table shows each loss in its own unit: events (by serial, the daemon's per-event
// counters), and the kernel's record counters as bounds; silent loss as a range when bounded.
import t from 'tap';
import { lossCells, markdownTable, type TableRow } from '../../../harness/run/run-all.ts';
import type { EventAccounting } from '../../../harness/verdict/accounting.ts';

const events = (over: Partial<EventAccounting> = {}, lost: Partial<EventAccounting['lost']> = {}): EventAccounting => ({
  generated: 1000, logged: 900, incomplete: 3, silentLoss: 40, duplicates: 0, unexpected: 0, method: {},
  lost: { kernelCounted: 60, kernelDropped: 50, kernelDroppedUnattributed: 0, daemonDropped: 10, daemonNotWritten: null, ...lost },
  ...over,
});

t.test('events exact, record counters as bounds, a daemon without counters as n/a', async (t) => {
  t.same(lossCells(events()), {
    generated: '1000', logged: '900', incomplete: '3', kernelDropped: '50', kernelUnattributed: '<= 0', kernelCounted: '<= 60',
    daemonDropped: '10', daemonNotWritten: 'n/a', silentLoss: '40',
  });
});

t.test('silent loss between a lower figure and its bound is shown as the range', async (t) => {
  t.equal(lossCells(events({ silentLoss: 0, silentLossBound: 60 })).silentLoss, '0..60');
  t.equal(lossCells(events({ silentLoss: 5, silentLossBound: 5 })).silentLoss, '5');
});

t.test('the markdown table names every term', async (t) => {
  const row = { scenario: 's', daemon: 'd', verdict: 'pass', peakRssMiB: '1', eventsPerSec: '2', oomKills: '0', backlogWaitS: '0.0', worstRecovery: '-', failed: 'a|b', dir: '', ...lossCells(events()) } satisfies TableRow;
  const md = markdownTable([row]);
  for (const h of ['generated', 'logged', 'incomplete', 'kernel dropped (by serial)', 'kernel unattributed (records)', 'kernel lost (records)', 'daemon dropped', 'not written', 'silent loss']) {
    t.match(md.split('\n')[0], `| ${h} |`, h);
  }
  t.match(md.split('\n')[2], '| 900 | 3 | 50 | <= 0 | <= 60 | 10 | n/a | 40 |');
  t.match(md, 'a/b', 'a pipe in a cell does not break the row');
});
