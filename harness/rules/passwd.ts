// User and group names for -F uid=NAME / gid=NAME, read from /etc/passwd and /etc/group as
// auditctl's getpwnam/getgrnam would on a machine without NSS modules.
import { readFileSync } from 'node:fs';

function lookup(file: string, name: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const parts = line.split(':');
    if (parts[0] === name && parts.length >= 3 && /^[0-9]+$/.test(parts[2])) return Number(parts[2]);
  }
  return undefined;
}

export const lookupUser = (name: string): number | undefined => lookup('/etc/passwd', name);
export const lookupGroup = (name: string): number | undefined => lookup('/etc/group', name);
