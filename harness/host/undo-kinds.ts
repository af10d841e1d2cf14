// Every module that registers an undo kind, so `auditstorm reset` can undo all of them.
import './process-undo.ts';
import './cgroup-undo.ts';
// faults (issue 5): each module registers the undo of the host change it makes
import '../faults/log-volume.ts';
import '../faults/stall-daemon.ts';
import '../faults/plugin-stall.ts';
import '../faults/freeze-fs.ts';
import '../faults/disk-full.ts';
import '../faults/slow-disk.ts';
import '../faults/slow-layer.ts';
import '../faults/cpu-starve.ts';
import '../faults/memory-squeeze.ts';
