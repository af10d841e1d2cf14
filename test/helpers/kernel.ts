// Shared by tests that touch kernel audit: skip cleanly without root, take the project lock
// (tests of several helpers/CI share one machine), and snapshot what auditctl prints so a test
// can assert the machine was left exactly as found.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const isRoot = process.getuid?.() === 0;
export const skipUnlessRoot = isRoot ? false : 'needs root and kernel audit';

export function auditctl(...args: string[]): string {
  return execFileSync('auditctl', args, { encoding: 'utf8' });
}

/** `auditctl -s` without the counters that move on their own (lost, backlog, wait actual). */
export function settingsSnapshot(): string {
  // printk's rate limit and console loglevel too: a run lifts and lowers them while it lasts
  const printk = ['printk_ratelimit', 'printk'].map((f) => `${f} ${readFileSync(`/proc/sys/kernel/${f}`, 'utf8').trim()}`);
  return [...auditctl('-s').split('\n')
    .filter((l) => !/^(lost|backlog |backlog_wait_time_actual)/.test(l)), ...printk]
    .join('\n');
}

export function rulesSnapshot(): string {
  return auditctl('-l');
}

/** A random auid of our own, far from real users' (and below 2^31: auditctl prints larger
 *  ones as negative numbers), so only our processes are audited. */
export function randomAuid(): number {
  return 1_900_000_000 + Math.floor(Math.random() * 100_000_000);
}
