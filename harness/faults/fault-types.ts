// What a fault kind gets to work with, and what it hands back: the timeline (timeline.ts) calls
// a kind's apply() at the start of each window and the returned end() at its end (or when the
// run stops early). Every kind records its host change with session.track() before making it,
// as undo steps (data: harness/host/undo-steps.ts), so an aborted run or `auditstorm reset`
// undoes it without this layer's code.
import type { HostSession } from '../host/host-session.ts';
import type { RunCgroup } from '../host/cgroup-types.ts';
import type { DaemonUnderTest } from '../daemons/daemon.ts';
import type { FaultSpec, LoadSpec } from '../scenario/schema.ts';
import type { LoadTotals } from '../run/load-set.ts';
import type { LogVolume } from './log-volume.ts';

export type FaultDetail = Record<string, unknown>;

export interface BurstContext {
  auid: number;
  seed: number;
  scratchDir: string;
  onProgress: (id: string, auditedSyscalls: number) => void;
  /** the burst's load processes report here when they finish (the runner adds them to the totals) */
  addTotals: (t: LoadTotals) => void;
}

export interface FaultContext {
  session: HostSession;
  daemon: DaemonUnderTest;
  cgroup: RunCgroup;
  /** the run's log filesystem; null when no disk fault asked for one */
  volume: LogVolume | null;
  /** (re)start the daemon with the run's start context; resolves once it is registered */
  startDaemon(): Promise<void>;
  /** the daemon's plugins.d directory (plugin-stall), null when it has none */
  pluginDir: string | null;
  burst: BurstContext;
}

/** What a fault's window measured of its own effect, and whether that shows it took effect. */
export interface FaultEffect {
  ok: boolean;
  /** the figure, e.g. "log writes 1.02 MiB/s, 4,096 B each, min 52 ms per write" */
  measured: string;
  /** what taking effect means, e.g. "<= 1.25 x 1 MiB/s" */
  expected: string;
  /** when not ok: what to change */
  fix?: string;
}

export interface AppliedFault {
  /** what was done and what was measured at the start (summary.json `detail`) */
  detail: FaultDetail;
  /** undo the fault; returns what was measured at the end, merged into detail */
  end(): Promise<FaultDetail | void>;
  /** true while the daemon is down because of this fault (crash, late-start) */
  daemonDown?(): boolean;
  /** judge the effect from the window's detail (start and end figures merged) */
  effect(detail: FaultDetail): FaultEffect;
}

export interface FaultKindImpl {
  /** set up before the loads are released (e.g. start burst processes so they are ready) */
  prepare?(spec: FaultSpec, ctx: FaultContext, occurrence: number): Promise<void>;
  apply(spec: FaultSpec, ctx: FaultContext, occurrence: number): Promise<AppliedFault>;
  /** ending order when the run stops: lower first (thaw and continue before anything kills) */
  endPriority: number;
}

export class FaultError extends Error {
  constructor(kind: string, index: number, message: string, hint = '') {
    super(`faults[${index}] (${kind}): ${message}${hint ? ` (${hint})` : ''}`);
    this.name = 'FaultError';
  }
}

export type { FaultSpec, LoadSpec };
