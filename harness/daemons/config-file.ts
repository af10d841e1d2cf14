// auditd.conf text from a map of keys: the syntax auditd and tsauditd share.
export type ConfigMap = Record<string, string | number | boolean>;

export function renderConfig(map: ConfigMap, header: string): string {
  const lines = Object.entries(map).map(([k, v]) => `${k} = ${typeof v === 'boolean' ? (v ? 'yes' : 'no') : v}`);
  return `# ${header}\n${lines.join('\n')}\n`;
}
