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

# stop_pids DIR: SIGTERM every PID in DIR/pids, SIGKILL after 5 s, and forget them.
stop_pids() {
  local dir=$1 pid i
  [ -f "$dir/pids" ] || return 0
  for pid in $(cat "$dir/pids"); do kill -TERM "$pid" 2>/dev/null || true; done
  for i in $(seq 1 100); do
    local alive=0
    for pid in $(cat "$dir/pids"); do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.05
  done
  for pid in $(cat "$dir/pids"); do kill -KILL "$pid" 2>/dev/null || true; done
  rm -f "$dir/pids"
}

# fail_with_log MESSAGE LOGFILE: prints the message and the log's tail, exits 1.
fail_with_log() {
  echo "$1" >&2
  [ -f "$2" ] && tail -n 30 "$2" >&2
  exit 1
}
