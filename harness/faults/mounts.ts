// Whether a path is a mount point right now (from the kernel's mount table, not the path).
import { readFileSync } from 'node:fs';

export function isMounted(mountPoint: string): boolean {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  return lines.some((l) => l.split(' ')[4] === mountPoint);
}
