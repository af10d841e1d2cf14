// The plugin a plugin-stall fault stalls: written into the daemon's plugins.d before it starts
// (auditd's syntax, which tsauditd reads too). auditd wants the plugin's path owned by root
// with mode 0750 or 0755.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageFile } from '../../lib/paths.ts';

export const SINK_NAME = 'auditstorm-sink';
export const SINK_PATH = packageFile('harness/faults/plugin-sink.sh');

export function writeSinkPlugin(pluginDir: string): string {
  mkdirSync(pluginDir, { recursive: true });
  chmodSync(SINK_PATH, 0o755);
  const file = join(pluginDir, `${SINK_NAME}.conf`);
  writeFileSync(file, [
    '# written by auditstorm for a plugin-stall fault',
    'active = yes',
    'direction = out',
    `path = ${SINK_PATH}`,
    'type = always',
    'format = string',
    '',
  ].join('\n'));
  return file;
}

/** Bytes a process has read (/proc/PID/io rchar); null if gone. */
export function bytesRead(pid: number): number | null {
  try {
    const m = /^rchar:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
