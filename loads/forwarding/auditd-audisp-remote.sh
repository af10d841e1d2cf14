#!/usr/bin/env bash
# Debian's auditd forwarding with its audisp-remote plugin to a second auditd, the collector,
# over loopback: the setup operators ask about ("does my forwarding lose events when the
# collector is slow or gone?"), run as an auditstorm command daemon (docs/daemons.md).
#
#   auditd-audisp-remote.sh CONFDIR COLLECTOR_LOG [--queue-depth N] [--overflow-action A]
#                           [--collector-restart-after SECONDS] [--port P]
#
# Both auditds and the plugin run in a network namespace of their own (only its loopback is up:
# nothing listens on the host's interfaces, and nothing is left listening when it ends) and a
# mount namespace where CONFDIR/audisp-remote.conf is bound over /etc/audit/audisp-remote.conf
# (audisp-remote reads only that path; the host's file is never touched). Every config file is
# under CONFDIR (the harness's temporary @CONFDIR@).
#
# The sender (local_events = yes, write_logs = no) registers with the kernel (a child of this
# script: the harness follows it). Its plugin audisp-remote forwards every event to the collector
# (local_events = no, tcp_listen_port), which writes COLLECTOR_LOG: the log auditstorm reads.
# audisp-remote's queue_depth and overflow_action are the forwarding's HWM and what it does past it.
# The collector's pid is in CONFDIR/collector.pid (daemon.processes: {collector: ...}); with
# --collector-restart-after it is started again that long after it dies (a supervisor's restart).
#
# SIGTERM stops the sender first (it hands what it has to the plugin, which sends it), then the
# collector, then exits; whatever way this script ends, the namespaces go with it.
set -euo pipefail
if [ "${AUDITSTORM_FORWARDING_INNER:-}" != 1 ]; then
  # re-exec in the namespaces; unshare execs (no fork): the harness's pid stays this process
  export AUDITSTORM_FORWARDING_INNER=1
  exec unshare --mount --net --propagation private "$0" "$@"
fi

conf=${1:?usage: $0 CONFDIR COLLECTOR_LOG [options]}
log=${2:?usage: $0 CONFDIR COLLECTOR_LOG [options]}
shift 2
queue_depth=2048 overflow_action=syslog restart_after="" port=60
while [ $# -gt 0 ]; do
  case "$1" in
    --queue-depth) queue_depth=$2; shift 2 ;;
    --overflow-action) overflow_action=$2; shift 2 ;;
    --collector-restart-after) restart_after=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    *) echo "$0: unknown option $1" >&2; exit 2 ;;
  esac
done

ip link set lo up
mkdir -p "$conf/sender/plugins.d" "$conf/collector/plugins.d" "$(dirname "$log")"

# keys both auditds share (auditd 3.0.9 wants them all)
common() {
  cat <<CONF
log_group = root
log_format = RAW
flush = INCREMENTAL_ASYNC
freq = 50
max_log_file = 1024
num_logs = 2
priority_boost = 0
name_format = NONE
max_log_file_action = IGNORE
space_left = 16
space_left_action = IGNORE
admin_space_left = 8
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
use_libwrap = no
tcp_listen_queue = 5
tcp_max_per_addr = 1
tcp_client_max_idle = 0
transport = TCP
distribute_network = no
q_depth = 2000
overflow_action = SYSLOG
max_restarts = 10
end_of_event_timeout = 2
CONF
}
{ echo "local_events = no"; echo "write_logs = yes"; echo "log_file = $log"; echo "tcp_listen_port = $port"
  echo "plugin_dir = $conf/collector/plugins.d"; common; } > "$conf/collector/auditd.conf"
{ echo "local_events = yes"; echo "write_logs = no"; echo "log_file = $conf/sender/audit.log"
  echo "plugin_dir = $conf/sender/plugins.d"; common; } > "$conf/sender/auditd.conf"
chmod 640 "$conf/collector/auditd.conf" "$conf/sender/auditd.conf"
cat > "$conf/sender/plugins.d/au-remote.conf" <<CONF
active = yes
direction = out
path = /sbin/audisp-remote
type = always
format = string
CONF
# no queue_file: mode immediate keeps its queue in memory and never opens it, and a long run
# directory would make its line too long for audisp-remote's parser (below)
cat > "$conf/audisp-remote.conf" <<CONF
remote_server = 127.0.0.1
port = $port
transport = tcp
mode = immediate
queue_depth = $queue_depth
format = managed
network_retry_time = 1
max_tries_per_record = 3
max_time_per_record = 5
heartbeat_timeout = 0
network_failure_action = syslog
disk_low_action = ignore
disk_full_action = warn_once
disk_error_action = warn_once
remote_ending_action = reconnect
generic_error_action = syslog
generic_warning_action = syslog
queue_error_action = stop
overflow_action = $overflow_action
startup_failure_action = warn_once_continue
CONF
# audisp-remote reads its config with fgets(buf, 128): a longer line is split, the rest fails to
# parse, and the plugin exits at start, so the sender forwards nothing (syslog alone says so)
awk -v f="$conf/audisp-remote.conf" 'length($0) > 126 { printf "%s: line %d is %d characters; audisp-remote reads at most 126\n", f, NR, length($0) > "/dev/stderr"; bad = 1 } END { exit bad }' "$conf/audisp-remote.conf" || exit 2
mount --bind "$conf/audisp-remote.conf" /etc/audit/audisp-remote.conf

collector_pid="" sender_pid="" stopping=0
# some connection on the port in state ESTABLISHED (01) or LISTEN (0A), from /proc/net/tcp*
port_state() {
  local hexport
  hexport=$(printf '%04X' "$port")
  grep -q ":$hexport [0-9A-F:]* $1 \|:[0-9A-F]* [0-9A-F:]*:$hexport $1 " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
start_collector() {
  auditd -n -c "$conf/collector" &
  collector_pid=$!
  echo "$collector_pid" > "$conf/collector.pid"
  # listening before the sender's plugin connects (it would otherwise retry)
  for _ in $(seq 200); do
    port_state 0A && return 0
    kill -0 "$collector_pid" 2>/dev/null || { echo "$0: the collector exited" >&2; return 1; }
    sleep 0.05
  done
  echo "$0: the collector is not listening on port $port" >&2
  return 1
}
stop_all() {
  stopping=1
  if [ -n "$sender_pid" ]; then kill -TERM "$sender_pid" 2>/dev/null; wait "$sender_pid" 2>/dev/null; fi
  # the collector may be stopped (a stall fault): continue it so it can act on SIGTERM
  if [ -n "$collector_pid" ]; then kill -CONT "$collector_pid" 2>/dev/null; kill -TERM "$collector_pid" 2>/dev/null; wait "$collector_pid" 2>/dev/null; fi
  exit "${1:-0}"
}
set +e
trap stop_all TERM INT HUP

start_collector || exit 1
auditd -n -c "$conf/sender" &
sender_pid=$!
echo "$sender_pid" > "$conf/sender.pid"
# the plugin connected: a plugin that cannot start or connect makes every event look silently
# lost, so it ends the setup with a reason instead
connected=0
for _ in $(seq 200); do
  port_state 01 && { connected=1; break; }
  kill -0 "$sender_pid" 2>/dev/null || break
  sleep 0.05
done
if [ "$connected" != 1 ]; then
  echo "$0: audisp-remote did not connect to the collector on port $port within 10 s (its reasons go to syslog)" >&2
  stop_all 1
fi

# supervise: the sender ending ends the setup; the collector ending is restarted when asked
while :; do
  if kill -0 "$collector_pid" 2>/dev/null; then wait -n "$sender_pid" "$collector_pid" 2>/dev/null
  else wait "$sender_pid" 2>/dev/null; fi
  if ! kill -0 "$sender_pid" 2>/dev/null; then echo "$0: the sender auditd exited" >&2; stop_all; fi
  if ! kill -0 "$collector_pid" 2>/dev/null; then
    echo "$0: the collector (pid $collector_pid) died" >&2
    [ -z "$restart_after" ] && continue
    sleep "$restart_after" & wait $!
    start_collector && echo "$0: collector restarted, pid $collector_pid" >&2
  fi
done
