// Undo for processes a run started (daemons, loads, bystanders, plugins): kill the process
// group, but only if it is still the same process (pid reuse), and continue it first so a
// SIGSTOPped daemon dies too.
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, type ProcIdentity } from './proc-identity.ts';
import { defineUndo } from './undo-registry.ts';

export interface ProcessUndo extends ProcIdentity {
  /** kill the whole process group (the process was spawned detached) */
  group: boolean;
}

function signal(p: ProcessUndo, sig: NodeJS.Signals): void {
  try {
    process.kill(p.group ? -p.pid : p.pid, sig);
  } catch {
    // already gone
  }
}

export async function killTracked(p: ProcessUndo, graceMs = 2000): Promise<void> {
  if (!isAlive(p)) return;
  signal(p, 'SIGCONT');
  signal(p, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isAlive(p)) await sleep(50);
  if (isAlive(p)) signal(p, 'SIGKILL');
  const hard = Date.now() + 5000;
  while (Date.now() < hard && isAlive(p)) await sleep(50);
}

defineUndo('process', (data: ProcessUndo) => killTracked(data));
