#!/bin/bash
# tsauditd idle, by thread: starts the built daemon registered with the bench's config (node
# auditd/bin/tsauditd.js -n -c DIR), waits 5 s, prints VmRSS, then each thread's utime+stime and
# voluntary context switches over IDLE_SECONDS with nothing audited; stops it (the enabled flag is
# put back by the daemon) and prints the kernel state. Needs `npm run build`.
set -u
WT=$(cd "$(dirname "$0")/../.." && pwd); SECS=${1:-60}
D=$(mktemp -d /tmp/tsauditd-idle.XXXX); trap "rm -rf $D" EXIT; mkdir -p $D/plugins.d
cat > $D/auditd.conf <<C
log_file = $D/audit.log
plugin_dir = $D/plugins.d
stats_file = $D/stats.json
queue_overflow = block
max_log_file = 1024
num_logs = 2
max_log_file_action = ignore
flush = incremental_async
freq = 50
C
TCK=$(getconf CLK_TCK)
cd $WT
node auditd/bin/tsauditd.js -n -c $D 2>$D/stderr &
P=$!
sleep 5
echo "pid $P  $(grep -E 'VmRSS|VmHWM' /proc/$P/status | tr -s ' \n' ' ')"
echo "process CPU after 5 s (startup): $(awk -v t=$TCK '{printf "%.2f s", ($14+$15)/t}' /proc/$P/stat)"
snap() { for t in /proc/$P/task/*; do echo "$(basename $t) $(cat $t/comm | tr ' ' _) $(awk '{print $14+$15}' $t/stat) $(awk '/^voluntary_ctxt/{print $2}' $t/status)"; done; }
snap > $D/a; ST0=$(stat -c %Y.%y $D/stats.json 2>/dev/null)
W0=$(for t in /proc/$P/task/*; do awk '/voluntary_ctxt_switches/{s+=$2} END{print s}' $t/status; done | paste -sd+ | bc)
sleep $SECS
snap > $D/b
W1=$(for t in /proc/$P/task/*; do awk '/voluntary_ctxt_switches/{s+=$2} END{print s}' $t/status; done | paste -sd+ | bc)
echo "per-thread CPU ticks over $SECS s idle (tick = 1/$TCK s):"
join <(sort $D/a) <(sort $D/b) | awk '{d=$6-$3; w=$7-$4; if (d>0||w>0) printf "  tid %s %-16s %d ticks, %d wake-ups\n", $1, $2, d, w; tot+=d} END{printf "  total %d ticks = %.2f CPU s per minute\n", tot, tot/'$TCK'*60/'$SECS'}'
echo "voluntary context switches (all threads) over $SECS s: $((W1-W0)); threads: $(ls /proc/$P/task | wc -l)"
[ -n "${SMAPS:-}" ] && grep -E "^(Rss|Anonymous)" /proc/$P/smaps_rollup
echo "VmRSS at end: $(grep VmRSS /proc/$P/status)"
kill -TERM $P
for i in $(seq 50); do kill -0 $P 2>/dev/null || break; sleep 0.2; done
if kill -0 $P 2>/dev/null; then echo "STOP HUNG, SIGKILL"; kill -KILL $P; fi
wait $P; echo "exit $?"
tail -3 $D/stderr
auditctl -s | grep -E '^(enabled|pid)'; auditctl -l
