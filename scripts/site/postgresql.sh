#!/usr/bin/env bash
# A private PostgreSQL 15 for tests: state in DIR/postgresql, 127.0.0.1 on a free
# port, password (SCRAM) authentication over TCP, trust only on its own Unix
# socket (in the cluster's own directory under /dev/shm or /tmp, for this script). The provider's admin role
# "fedihost" is not a superuser: it has CREATEROLE and CREATEDB, as an operator
# would configure it.
#   postgresql.sh start DIR   writes DIR/postgresql/provider.json:
#     {"database": {"implementation": "postgresql", "settings": {host, port, adminUser,
#       adminPassword, adminDatabase, connectTimeoutMs, timeoutMs}}}
#     plus, for tests only (the provider ignores them): socketDir (trust for any
#     user over the Unix socket), superuser and superuserPassword.
#     The server runs with wal_level=logical (a migration's replication; FEDIHOST_SITE_PG_WAL_LEVEL
#     overrides it, e.g. "replica" for the fallback's test) and a replication role "fedihost_repl"
#     (SUPERUSER: PostgreSQL 15's CREATE PUBLICATION … FOR ALL TABLES and CREATE SUBSCRIPTION need
#     one), named in the settings replicationUser and replicationPassword.
#   postgresql.sh stop DIR    stops it by PID (safe to call twice)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cmd=${1:?usage: postgresql.sh start|stop DIR}
dir=${2:?usage: postgresql.sh start|stop DIR}
S="$dir/postgresql"
B=${PG_BIN:-/usr/lib/postgresql/15/bin}

case "$cmd" in
  start)
    # Whatever fails below, what was started is stopped (Site stops only services that started).
    trap '"$0" stop "$dir"' EXIT
    [ -x "$B/initdb" ] || { echo "postgresql.sh: $B/initdb not found (apt-get install postgresql)" >&2; exit 1; }
    mkdir -p "$S"
    # The server runs as postgres, which may not reach DIR (a checkout under a private directory):
    # its cluster, socket and password file live in a directory of its own, in memory when it can
    # (/dev/shm: on this machine's disk one CREATE DATABASE takes ~0.8 s, in memory ~0.1 s), else
    # under /tmp. DIR/postgresql/data links to the cluster; stop removes it.
    rt=$(mktemp -d /dev/shm/fedihost-pg-XXXXXX 2>/dev/null || mktemp -d /tmp/fedihost-pg-XXXXXX)
    echo "$rt" >"$S/shm_dir"
    chown postgres: "$rt"
    chmod 700 "$rt"
    ln -sfn "$rt/data" "$S/data"
    port=$(free_port)
    admin_pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    super_pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    repl_pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    wal_level=${FEDIHOST_SITE_PG_WAL_LEVEL:-logical}
    printf '%s\n' "$super_pw" >"$rt/pwfile"
    chown postgres: "$rt/pwfile"
    chmod 600 "$rt/pwfile"
    # initdb refuses to run as root; it runs from a directory postgres can enter.
    (cd "$rt" && runuser -u postgres -- "$B/initdb" -D "$rt/data" -U postgres --pwfile="$rt/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 --no-sync -E UTF8 --locale=C.UTF-8 \
      >"$S/initdb.log" 2>&1) || fail_with_log "postgresql.sh: initdb failed" "$S/initdb.log"
    rm -f "$rt/pwfile"
    # Started in the foreground of a background process (setpriv execs, runuser would fork), so that
    # the PID we remember is the postmaster's.
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$B/postgres" -D "$rt/data" -k "$rt" -p "$port" \
      -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
      -c password_encryption=scram-sha-256 -c logging_collector=off -c lc_messages=C \
      -c wal_level="$wal_level" -c max_replication_slots=20 -c max_wal_senders=20 \
      >"$S/pg.log" 2>&1 &
    pid=$!
    remember_pid "$S" "$pid"
    ready=0
    for _ in $(seq 1 400); do
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      if "$B/pg_isready" -q -h "$rt" -p "$port" 2>/dev/null; then ready=1; break; fi
      sleep 0.05
    done
    [ "$ready" = 1 ] || fail_with_log "postgresql.sh: the server did not become ready" "$S/pg.log"
    psql -X -q -v ON_ERROR_STOP=1 -h "$rt" -p "$port" -U postgres -d postgres \
      -c "CREATE ROLE fedihost LOGIN CREATEROLE CREATEDB PASSWORD '$admin_pw'" \
      -c "CREATE ROLE fedihost_repl LOGIN SUPERUSER REPLICATION PASSWORD '$repl_pw'" >>"$S/pg.log" 2>&1 ||
      fail_with_log "postgresql.sh: creating the admin role failed" "$S/pg.log"
    cat >"$S/provider.json" <<EOF
{"database": {"implementation": "postgresql", "settings": {
  "host": "127.0.0.1", "port": $port, "adminUser": "fedihost", "adminPassword": "$admin_pw",
  "adminDatabase": "postgres", "connectTimeoutMs": 3000, "timeoutMs": 10000,
  "replicationUser": "fedihost_repl", "replicationPassword": "$repl_pw",
  "socketDir": "$rt", "superuser": "postgres", "superuserPassword": "$super_pw"}}}
EOF
    trap - EXIT
    ;;
  stop)
    # SIGINT is PostgreSQL's fast shutdown. The postmaster is not our child, so
    # once it exits it may linger as a zombie until init reaps it: that counts as stopped.
    stop_pids "$S" INT
    if [ -f "$S/shm_dir" ]; then
      shm=$(cat "$S/shm_dir")
      case "$shm" in /dev/shm/fedihost-pg-* | /tmp/fedihost-pg-*) rm -rf -- "$shm" ;; esac
      rm -f "$S/shm_dir" "$S/data"
    fi
    ;;
  *) echo "usage: postgresql.sh start|stop DIR" >&2; exit 2 ;;
esac
