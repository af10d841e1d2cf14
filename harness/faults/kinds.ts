// Every fault kind's implementation, by the name the scenario uses.
import type { FaultKind } from '../scenario/schema.ts';
import type { FaultKindImpl } from './fault-types.ts';
import { burst } from './burst.ts';
import { cpuStarve } from './cpu-starve.ts';
import { crash } from './crash.ts';
import { diskFull } from './disk-full.ts';
import { freezeFs } from './freeze-fs.ts';
import { lateStart } from './late-start.ts';
import { memorySqueeze } from './memory-squeeze.ts';
import { pluginStall } from './plugin-stall.ts';
import { slowDisk } from './slow-disk.ts';
import { stallDaemon } from './stall-daemon.ts';

export const FAULT_IMPLS: Record<FaultKind, FaultKindImpl> = {
  'stall-daemon': stallDaemon,
  'slow-disk': slowDisk,
  'freeze-fs': freezeFs,
  'disk-full': diskFull,
  crash,
  'cpu-starve': cpuStarve,
  'memory-squeeze': memorySqueeze,
  'plugin-stall': pluginStall,
  'late-start': lateStart,
  burst,
};

// defined beside the other names, so validating a scenario does not load every fault
export { DISK_FAULTS } from '../scenario/names.ts';
