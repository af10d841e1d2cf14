// The machine's MemAvailable: how close the whole VM is to trouble, whatever the cgroup says.
import { fieldKiB, readSmall } from './proc-read.ts';

export function readMemAvailableBytes(path = '/proc/meminfo'): number | null {
  const s = readSmall(path);
  if (s === null) return null;
  const kib = fieldKiB(s, 'MemAvailable:');
  return kib === null ? null : kib * 1024;
}
