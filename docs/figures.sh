#!/bin/sh
# Regenerates the documentation's figure, docs/report.png, from a library scenario run on this
# machine's kernel, and writes docs/report.json beside it: which scenario, daemon and command
# made it, so the figure can be checked and made again (`npm run docs:figures`).
# Needs what any run needs (root, kernel audit, no other audit daemon: `auditstorm preflight`),
# plus Debian's chromium, which `setup --browser` installs.
#   FIGURE_SCENARIO  library scenario (default slow-writer)
#   FIGURE_DURATION  run length (default 20s)
#   FIGURE_DAEMON, FIGURE_POLICY  daemon under test (default: the scenario's own)
set -eu
cd "$(dirname "$0")/.."
scenario=${FIGURE_SCENARIO:-slow-writer}
duration=${FIGURE_DURATION:-20s}
if [ ! -f "loads/scenarios/$scenario.yaml" ]; then
  echo "docs/figures.sh: $scenario is not a library scenario (loads/scenarios/*.yaml)" >&2
  exit 2
fi
as() { node harness/bin/auditstorm.js "$@"; }
as setup --quiet --browser
out=$(mktemp -d "${TMPDIR:-/tmp}/auditstorm-figures.XXXXXX")
set -- run "$scenario" --duration "$duration" --out "$out" --quiet
[ -n "${FIGURE_DAEMON:-}" ] && set -- "$@" --daemon "$FIGURE_DAEMON"
[ -n "${FIGURE_POLICY:-}" ] && set -- "$@" --policy "$FIGURE_POLICY"
echo "docs/figures.sh: auditstorm $*"
rc=0
as "$@" || rc=$?
# a FAIL verdict (exit 1) is still a run worth showing; anything else is not a run
if [ "$rc" -gt 1 ]; then
  echo "docs/figures.sh: the run failed to run (exit $rc); docs/report.png is unchanged" >&2
  exit "$rc"
fi
dir=$(ls -d "$out"/*/ | head -n 1)
as report "$dir" --screenshot docs/report.png --window 1280x2400 >/dev/null
node -e '
const fs = require("node:fs");
const [dir, scenario, duration, argv] = process.argv.slice(1);
const s = JSON.parse(fs.readFileSync(dir + "/summary.json", "utf8"));
const label = s.policy ? s.daemon + ":" + s.policy : s.daemon;
fs.writeFileSync("docs/report.json", JSON.stringify({
  figure: "docs/report.png", scenario: s.scenario, library: "loads/scenarios/" + scenario + ".yaml", daemon: label,
  duration, verdict: s.verdict, seed: s.seed, kernel: s.host && s.host.kernel, made: new Date().toISOString().slice(0, 10),
  command: "npm run docs:figures", run: "auditstorm " + argv,
}, null, 2) + "\n");
' "$dir" "$scenario" "$duration" "$*"
echo "docs/figures.sh: docs/report.png and docs/report.json from $dir"
