// How each kind of host change is undone. Modules that change the host register their kind
// here; the session and `auditstorm reset` both undo through this one table.
export type UndoHandler = (data: any) => Promise<void> | void;

const handlers = new Map<string, UndoHandler>();

export function defineUndo(kind: string, handler: UndoHandler): void {
  handlers.set(kind, handler);
}

export function undoHandler(kind: string): UndoHandler | undefined {
  return handlers.get(kind);
}
