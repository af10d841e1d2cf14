// Figures as people read them, the same in the terminal, markdown, JUnit and HTML.
import type { Assertion } from '../verdict/assertions.ts';

export const mib = (b: number | null | undefined): string =>
  b === null || b === undefined || !Number.isFinite(b) ? 'n/a' : `${(b / 1048576).toFixed(1)} MiB`;

export const int = (n: number | null | undefined): string =>
  n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : Math.round(n).toLocaleString('en-US');

export const ms = (n: number | null | undefined): string => (n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : `${int(n)} ms`);

export function seconds(msTotal: number): string {
  const s = Math.round(msTotal / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${s % 60 ? `${s % 60} s` : ''}`.trim();
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** "x1.23" style ratio; n/a when either side is missing or the base is zero. */
export function ratio(value: number | null, base: number | null): string {
  if (value === null || base === null || !Number.isFinite(value) || !Number.isFinite(base)) return 'n/a';
  if (base === 0) return value === 0 ? 'x1.00' : 'n/a';
  return `x${(value / base).toFixed(2)}`;
}

/** An assertion's actual or limit with the unit its name implies. */
export function assertionValue(a: Pick<Assertion, 'name'>, v: number | string): string {
  if (typeof v === 'string') return v;
  const name = a.name.toLowerCase();
  if (name.includes('slope')) return `${int(v)} B/s`;
  if (name.includes('rss') || name.includes('memory')) return mib(v);
  if (name.includes('(ms)') || name.includes('wait') || name.startsWith('recovery')) return ms(v);
  if (name.includes('events/s') || name.includes('throughput')) return `${int(v)} events/s`;
  return int(v);
}

/** A daemon with its policy, as the CLI spells it: tsauditd:block, auditd. */
export const daemonLabel = (daemon: string, policy: string | null | undefined): string => (policy ? `${daemon}:${policy}` : daemon);
