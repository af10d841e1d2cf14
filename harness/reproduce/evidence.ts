// Every figure `reproduce` derives carries where it came from: a bundle file and line, a
// computation over several lines, or a stated default. Nothing is silently assumed.
export interface Figure<T> {
  value: T;
  /** "auditctl-s.txt:4", "audit.log (1,204 events)", or "default" */
  source: string;
  /** why this value, in a few words (always set for defaults) */
  note?: string;
  isDefault?: boolean;
}

export const fromFile = <T>(value: T, source: string, note?: string): Figure<T> => ({ value, source, ...(note ? { note } : {}) });
export const byDefault = <T>(value: T, note: string): Figure<T> => ({ value, source: 'default', note, isDefault: true });

/** A line or file the bundle reader did not use, and why. */
export interface Ignored {
  /** file, or file:line */
  where: string;
  why: string;
  /** the first 120 characters of the line, when a line */
  text?: string;
}

/** Two files that disagree on one figure, and which one won. */
export interface Contradiction {
  figure: string;
  used: { value: string; source: string };
  ignored: { value: string; source: string };
  why: string;
}

export function clip(text: string, n = 120): string {
  const t = text.replace(/\x1d/g, ' | ').replace(/[\x00-\x08\x0b-\x1f]/g, '?');
  return t.length > n ? `${t.slice(0, n - 3)}...` : t;
}
