// auditd.conf text from a map of keys: the syntax auditd and tsauditd share. A key or value that
// could end its line (newline, CR, NUL, any control character) is refused, not escaped: the
// format has no escapes, and a value with a line break would inject a key of its own.
import { join } from 'node:path';

export type ConfigMap = Record<string, string | number | boolean>;

export class ConfigRenderError extends Error {
  constructor(readonly key: string, message: string) {
    super(message);
    this.name = 'ConfigRenderError';
  }
}

const KEY = /^[a-z_][a-z0-9_]*$/;
const CONTROL = /[\x00-\x1f\x7f]/;

export function renderConfig(map: ConfigMap, header: string): string {
  if (CONTROL.test(header)) throw new ConfigRenderError('', 'the auditd.conf header comment holds a control character');
  const lines = Object.entries(map).map(([k, v]) => {
    if (!KEY.test(k)) throw new ConfigRenderError(k, `auditd.conf key ${JSON.stringify(k.slice(0, 80))} is not a lower-case word with "_"`);
    const text = typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v);
    if (typeof v === 'number' && !Number.isFinite(v)) throw new ConfigRenderError(k, `auditd.conf ${k}: ${v} is not a finite number`);
    const bad = CONTROL.exec(text);
    if (bad) {
      throw new ConfigRenderError(k, `auditd.conf ${k}: the value holds control character 0x${bad[0].charCodeAt(0).toString(16).padStart(2, '0')} at character ${bad.index + 1}; a value is one line of text (a newline would inject a line into the file)`);
    }
    if (text.trim() === '') throw new ConfigRenderError(k, `auditd.conf ${k}: empty value`);
    return `${k} = ${text}`;
  });
  return `# ${header}\n${lines.join('\n')}\n`;
}

/** The auditd.conf keys tsauditd is started with in `dir` (scenario keys over ours); `validate`
 *  parses the same map, so a value tsauditd would refuse is refused before a run. */
export function tsauditdConfigMap(dir: string, logDir: string | undefined, policy: 'block' | 'drop' | 'unbounded', oomScoreAdj: number | undefined,
  overrides: ConfigMap | undefined): ConfigMap {
  return {
    log_file: join(logDir ?? dir, 'audit.log'),
    plugin_dir: join(dir, 'plugins.d'),
    stats_file: join(dir, 'stats.json'),
    queue_overflow: policy,
    // like the auditd adapter: one big log, so rotation never deletes what a run must count
    max_log_file: 1024,
    num_logs: 2,
    max_log_file_action: 'ignore',
    ...(oomScoreAdj !== undefined ? { oom_score_adj: oomScoreAdj } : {}),
    ...(overrides ?? {}),
  };
}

