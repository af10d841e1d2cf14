// A dispatcher plugin that reads its input at a fixed pace: records per second (argv[2]) for
// the first argv[3] ms, then as fast as it can (so the run's drain does not wait on it).
// It stands in for the field daemon's slow consumer (a remote-logging plugin on a slow link,
// a slow disk); with overflow_action = block, tsauditd pushes back to its main queue, as
// audispd's lossless queue did in 2009. Plain JS: the daemon starts it with node, no loader.
const rate = Number(process.argv[2]);
const paceMs = Number(process.argv[3] ?? 1e12);
if (!(rate > 0)) {
  process.stderr.write('usage: paced-plugin.mjs RECORDS_PER_SEC [PACE_MS]\n');
  process.exit(2);
}
const start = Date.now();
let lines = 0;
process.stdin.on('data', (chunk) => {
  for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
  if (Date.now() - start > paceMs) return;
  const wait = start + (lines / rate) * 1000 - Date.now();
  if (wait > 5) {
    process.stdin.pause();
    setTimeout(() => process.stdin.resume(), wait);
  }
});
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGHUP', () => {});
