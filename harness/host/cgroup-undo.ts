// Undo kind 'cgroup' for the host session (harness/host/undo-registry.ts): a run records
// { name, dirs } when it creates its cgroup; restore or `auditstorm reset` removes the dirs,
// killing what is still inside. Import this module from undo-kinds.ts to register it.
import { removeCgroupDirs } from './cgroup-cleanup.ts';
import { removeCgroupState } from './cgroup-state.ts';
import { defineUndo } from './undo-registry.ts';

export interface CgroupUndo {
  name: string;
  dirs: string[];
}

defineUndo('cgroup', async (data: CgroupUndo) => {
  await removeCgroupDirs(data.dirs, true);
  removeCgroupState(data.name);
});
