// Free space on the log's filesystem, as auditd's check_space_left sees it (f_bavail: blocks
// available to unprivileged users, times the block size).

import { promises as fsp } from 'node:fs';

export const MiB = 1024 * 1024;
/** auditd never consumes the last 5 blocks: below that the disk counts as full. */
export const RESERVED_BLOCKS = 5;

export interface SpaceReading {
  availBytes: number;
  bavail: number;
  bsize: number;
}

export async function readSpace(path: string): Promise<SpaceReading> {
  const s = await fsp.statfs(path);
  return { availBytes: s.bavail * s.bsize, bavail: s.bavail, bsize: s.bsize };
}

/** Classify a reading against the thresholds (MiB, fractions allowed). */
export function classifySpace(r: SpaceReading, spaceLeftMiB: number, adminSpaceLeftMiB: number): {
  full: boolean;
  belowSpaceLeft: boolean;
  belowAdminSpaceLeft: boolean;
} {
  return {
    full: r.bavail < RESERVED_BLOCKS,
    belowSpaceLeft: r.availBytes < spaceLeftMiB * MiB,
    belowAdminSpaceLeft: r.availBytes < adminSpaceLeftMiB * MiB,
  };
}
