// Every module that registers an undo kind, so `auditstorm reset` can undo all of them.
import './process-undo.ts';
import './cgroup-undo.ts';
