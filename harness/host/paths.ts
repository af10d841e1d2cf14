// Where auditstorm keeps its machine-wide state. /run is a tmpfs: it is emptied by a reboot,
// exactly when the kernel's audit state is reset too, so a stale file never outlives its cause.
import { join } from 'node:path';

export const stateDir = (): string => process.env.AUDITSTORM_STATE_DIR ?? '/run/auditstorm';
export const lockPath = (): string => join(stateDir(), 'lock');
export const statePath = (): string => join(stateDir(), 'state.json');
