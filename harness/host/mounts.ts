// Mounts and loop devices as the kernel lists them (not as the paths look).
import { readFileSync } from 'node:fs';
import { host } from './command.ts';

/** Whether a path is a mount point right now (from the kernel's mount table). */
export function isMounted(mountPoint: string): boolean {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  return lines.some((l) => l.split(' ')[4] === mountPoint);
}

/** Loop devices whose backing file is `file`, e.g. ['/dev/loop3']. */
export async function loopDevicesOf(file: string): Promise<string[]> {
  const out = await host('losetup', ['-j', file]).catch(() => '');
  return out.split('\n').map((l) => l.split(':')[0]!.trim()).filter((d) => d.startsWith('/dev/loop'));
}
