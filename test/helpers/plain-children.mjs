// Loaded into every test process (.taprc node-arg). tap's runner loads @tapjs/processinfo into
// each test file and, through NODE_OPTIONS and a child_process hook, into every program a test
// starts: tsauditd, auditd's plugins, the CLI, load generators, fixture daemons. It records
// processes for coverage and `tap --changed`, neither of which this suite uses (coverage is
// disabled), and it costs each Node child ~0.15 s of CPU at start, a write at exit and ~25 MiB
// of RSS (its loader thread): not what those programs cost outside the tests, where their
// start-up, CPU and RSS are measured. Here the programs a test starts run as a user runs them.
// The test process itself keeps what tap gave it.
const HOOKS = Symbol.for('process-on-spawn@*:singletonId');
const state = globalThis[HOOKS];
if (state && Array.isArray(state.listeners)) state.listeners.length = 0;

const options = process.env.NODE_OPTIONS;
if (options) {
  const kept = options.replace(/"?--(import|loader)[= ]"?[^"\s]*@tapjs\/processinfo[^"\s]*"?/g, '').trim();
  if (kept) process.env.NODE_OPTIONS = kept;
  else delete process.env.NODE_OPTIONS;
}
