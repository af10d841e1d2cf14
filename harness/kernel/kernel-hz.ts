// The kernel's HZ, needed because backlog_wait_time(_actual) are in jiffies. `getconf CLK_TCK`
// is USER_HZ (100) and is NOT the kernel's HZ, so we read the kernel's build config instead.
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';

export interface KernelHz {
  hz: number;
  /** where the figure came from, shown by preflight */
  source: string;
}

let cached: KernelHz | undefined;

export function kernelHz(): KernelHz {
  cached ??= detect();
  return cached;
}

function detect(): KernelHz {
  const override = process.env.AUDITSTORM_KERNEL_HZ;
  if (override && /^\d+$/.test(override)) return { hz: Number(override), source: 'AUDITSTORM_KERNEL_HZ' };
  const sources: Array<[string, () => string]> = [
    ['/proc/config.gz', () => gunzipSync(readFileSync('/proc/config.gz')).toString('latin1')],
    [`/boot/config-${release()}`, () => readFileSync(`/boot/config-${release()}`, 'latin1')],
  ];
  for (const [source, read] of sources) {
    try {
      const m = /^CONFIG_HZ=(\d+)$/m.exec(read());
      if (m) return { hz: Number(m[1]), source };
    } catch {
      // try the next source
    }
  }
  // 250 is the commonest distribution default; preflight reports that it was assumed.
  return { hz: 250, source: 'assumed (no kernel config found; set AUDITSTORM_KERNEL_HZ)' };
}

export const msToJiffies = (ms: number, hz = kernelHz().hz): number => Math.round((ms * hz) / 1000);
export const jiffiesToMs = (jiffies: number, hz = kernelHz().hz): number => (jiffies * 1000) / hz;
