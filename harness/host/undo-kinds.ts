// Every undo kind of the host layer, so `auditstorm reset` can undo all of them. Changes made by
// higher layers (faults) are recorded as data: `steps` records (undo-steps.ts) that say what to
// write back, remove, signal or run, so this layer never imports theirs.
import './process-undo.ts';
import './cgroup-undo.ts';
import './undo-steps.ts';
