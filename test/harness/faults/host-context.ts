// A real host for fault tests without an audit daemon: a host session (the project lock and the
// undo records), a run cgroup, a loop-mounted log volume, and a stand-in "daemon" process in
// the cgroup. Faults are applied to it exactly as the runner applies them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { HostSession } from '../../../harness/host/host-session.ts';
import { createRunCgroup } from '../../../harness/host/cgroup.ts';
import type { RunCgroup } from '../../../harness/host/cgroup-types.ts';
import { LogVolume } from '../../../harness/faults/log-volume.ts';
import type { FaultContext } from '../../../harness/faults/fault-types.ts';
import type { DaemonUnderTest } from '../../../harness/daemons/daemon.ts';
import { killStep } from '../../../harness/host/undo-steps.ts';
import { readState } from '../../../harness/host/state-file.ts';
import { validateScenario } from '../../../harness/scenario/load-scenario.ts';
import type { FaultSpec } from '../../../harness/scenario/schema.ts';

export interface HostFixture {
  session: HostSession;
  cgroup: RunCgroup;
  volume: LogVolume;
  dir: string;
  ctx: FaultContext;
  /** start a command inside the run cgroup (tracked, killed at teardown) */
  spawnInGroup(file: string, args: string[]): ResultPromise;
  /** who made each undo record the state file holds right now (`by`) */
  undoKinds(): string[];
  close(): Promise<void>;
}

export interface HostFixtureOptions {
  volumeBytes?: number;
  memoryLimitBytes?: number;
  slowLayer?: boolean;
  /** the stand-in daemon's command (default sleep 1000; a shell with a child stands in for a daemon with a plugin) */
  daemon?: [string, ...string[]];
}

export async function hostFixture(name: string, opts: HostFixtureOptions = {}): Promise<HostFixture> {
  const session = await HostSession.begin({ lockWaitMs: 300_000 });
  const dir = mkdtempSync(join(tmpdir(), `auditstorm-fault-${name}-`));
  let cgroup: RunCgroup;
  let volume: LogVolume;
  try {
    cgroup = await createRunCgroup({ runId: `t-${name}-${process.pid}`, memoryLimitBytes: opts.memoryLimitBytes ?? 256 * 1024 * 1024 });
    session.track('cgroup', `cgroup ${cgroup.name}`, [{ op: 'cgroup', name: cgroup.name, dirs: cgroup.allDirs }]);
    volume = await LogVolume.create({ dir, session, sizeBytes: opts.volumeBytes ?? 256 * 1024 * 1024, slowLayer: opts.slowLayer ?? false });
  } catch (err) {
    // a set-up that fails must not hold the lock or leave the host changed for the next test
    await session.restore();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const procs: ResultPromise[] = [];
  const spawnInGroup = (file: string, args: string[]) => {
    const cmd = cgroup.spawnArgs(file, args);
    const p = execa(cmd.file, cmd.args, { reject: false, stdin: 'ignore', detached: true, cleanup: false });
    session.track('test', `test process ${p.pid}`, [killStep(p.pid!, true)]);
    procs.push(p);
    return p;
  };
  let daemonProc: ResultPromise | null = null;
  const daemon = {
    kind: 'command', policy: null, label: 'stand-in',
    pid: () => daemonProc?.pid ?? null,
    start: async () => { const [file, ...args] = opts.daemon ?? ['sleep', '1000']; daemonProc = spawnInGroup(file, args); },
    kill: async () => { daemonProc?.kill('SIGKILL'); await daemonProc; daemonProc = null; },
    exited: () => daemonProc === null,
  } as unknown as DaemonUnderTest;
  const ctx: FaultContext = {
    session, daemon, cgroup, volume, pluginDir: null,
    startDaemon: () => daemon.start(null as never),
    burst: { auid: 0, seed: 1, scratchDir: dir, onProgress: () => {}, addTotals: () => {} },
  };
  return {
    session, cgroup, volume, dir, ctx, spawnInGroup,
    undoKinds: () => readState()?.undo.map((u) => u.by) ?? [],
    async close() {
      await session.restore();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fault spec as the scenario schema parses it (defaults filled). */
export function faultSpec(yaml: string): FaultSpec {
  const s = validateScenario([
    'name: t', 'description: t', 'duration: 60s', 'rules: openat-storm.rules',
    'daemon: {name: auditd}', 'loads: [{generator: open-close}]', 'faults:', `  - ${yaml}`,
  ].join('\n'));
  return s.faults[0]!;
}
