// Run a host tool (losetup, mount, fsfreeze, mkfs) asynchronously: fsfreeze -f waits for the
// filesystem to quiesce and must never block the event loop (the sampler keeps ticking).
import { execa } from 'execa';

export class HostCommandError extends Error {
  constructor(readonly command: string, readonly exitCode: number | null, readonly stderr: string) {
    super(`${command} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim() || '(no output)'}`);
    this.name = 'HostCommandError';
  }
}

export async function host(file: string, args: string[], timeoutMs = 30_000): Promise<string> {
  const r = await execa(file, args, { reject: false, timeout: timeoutMs, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new HostCommandError([file, ...args].join(' '), r.exitCode ?? null, String(r.stderr ?? ''));
  return String(r.stdout ?? '');
}

/** The same, for paths where failure is expected and harmless (undo of a thing already undone). */
export async function hostQuiet(file: string, args: string[], timeoutMs = 30_000): Promise<boolean> {
  try {
    await host(file, args, timeoutMs);
    return true;
  } catch {
    return false;
  }
}
