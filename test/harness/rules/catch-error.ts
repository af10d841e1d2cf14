// Run fn, return the error it threw (or undefined): lets a test assert every field of it.
export function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
