# Shared by scripts/site/<service>.sh: free loopback ports, readiness waits,
# PID bookkeeping. Sourced, not run.
#   <service>.sh start DIR   starts the service with its state in DIR/<service>/,
#                            writes DIR/<service>/provider.json (this service's part
#                            of a target configuration) and DIR/<service>/pids
#   <service>.sh stop DIR    stops what `start` started, by PID

# A TCP port on 127.0.0.1 that nothing listens on (and no other site script took).
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( (RANDOM % 30000) + 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      # A UDP listener (DNS) does not show on TCP; ask ss when we can.
      if command -v ss >/dev/null 2>&1 && ss -Hlnu "sport = :$p" 2>/dev/null | grep -q .; then continue; fi
      echo "$p"; return 0
    fi
  done
  echo "free_port: no free port found" >&2; return 1
}

# wait_tcp PORT SECONDS: until something accepts on 127.0.0.1:PORT.
wait_tcp() {
  local port=$1 secs=${2:-20} i
  for i in $(seq 1 $((secs * 20))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

# remember_pid DIR PID: appends to DIR/pids.
remember_pid() { echo "$2" >>"$1/pids"; }

# running PID: the process exists and is not a zombie (a server started in the
# background is not our child once its script exits; init may reap it late).
running() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# stop_pids DIR [SIGNAL]: SIGNAL (default TERM) to every PID in DIR/pids, SIGKILL
# to those still running after 10 s, and forget them. Safe to call twice.
stop_pids() {
  local dir=$1 sig=${2:-TERM} pid
  [ -f "$dir/pids" ] || return 0
  for pid in $(cat "$dir/pids"); do kill "-$sig" "$pid" 2>/dev/null || true; done
  for pid in $(cat "$dir/pids"); do
    for _ in $(seq 1 200); do running "$pid" || break; sleep 0.05; done
    if running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  rm -f "$dir/pids"
}

# fail_with_log MESSAGE LOGFILE: prints the message and the log's tail, exits 1.
fail_with_log() {
  echo "$1" >&2
  [ -f "$2" ] && tail -n 30 "$2" >&2
  exit 1
}
