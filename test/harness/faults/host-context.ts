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
import { procStartTime } from '../../../harness/host/proc-identity.ts';
import { readState } from '../../../harness/host/state-file.ts';
import { validateScenario } from '../../../harness/scenario/load-scenario.ts';
import type { FaultSpec } from '../../../harness/scenario/schema.ts';
import '../../../harness/host/undo-kinds.ts';

export interface HostFixture {
  session: HostSession;
  cgroup: RunCgroup;
  volume: LogVolume;
  dir: string;
  ctx: FaultContext;
  /** start a command inside the run cgroup (tracked, killed at teardown) */
  spawnInGroup(file: string, args: string[]): ResultPromise;
  /** the undo kinds the state file holds right now */
  undoKinds(): string[];
  close(): Promise<void>;
}

export async function hostFixture(name: string, opts: { volumeBytes?: number; memoryLimitBytes?: number; slowLayer?: boolean } = {}): Promise<HostFixture> {
  const session = await HostSession.begin({ lockWaitMs: 300_000 });
  const dir = mkdtempSync(join(tmpdir(), `auditstorm-fault-${name}-`));
  const cgroup = await createRunCgroup({ runId: `t-${name}-${process.pid}`, memoryLimitBytes: opts.memoryLimitBytes ?? 256 * 1024 * 1024 });
  session.track('cgroup', `cgroup ${cgroup.name}`, { name: cgroup.name, dirs: cgroup.allDirs });
  const volume = await LogVolume.create({ dir, session, sizeBytes: opts.volumeBytes ?? 256 * 1024 * 1024, slowLayer: opts.slowLayer ?? false });
  const procs: ResultPromise[] = [];
  const spawnInGroup = (file: string, args: string[]) => {
    const cmd = cgroup.spawnArgs(file, args);
    const p = execa(cmd.file, cmd.args, { reject: false, stdin: 'ignore', detached: true, cleanup: false });
    session.track('process', `test process ${p.pid}`, { pid: p.pid!, startTime: procStartTime(p.pid!) ?? 0, group: true });
    procs.push(p);
    return p;
  };
  let daemonProc: ResultPromise | null = null;
  const daemon = {
    kind: 'command', policy: null, label: 'stand-in',
    pid: () => daemonProc?.pid ?? null,
    start: async () => { daemonProc = spawnInGroup('sleep', ['1000']); },
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
    undoKinds: () => readState()?.undo.map((u) => u.kind) ?? [],
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
