#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for one test run: its own data directory, a
# random loopback port, no durability (fsync off) since the data dies with the run.
#
#   eval "$(scripts/pg-throwaway.sh start)"   # sets LIVECUT_TEST_PG_URL and LIVECUT_TEST_PG_DIR
#   scripts/pg-throwaway.sh stop "$LIVECUT_TEST_PG_DIR"
#
# Works as root without systemd (CI): initdb refuses to run as root, so the
# server runs as the `postgres` system user through runuser.
set -euo pipefail

# runuser lives in /usr/sbin, which minimal CI environments leave off PATH.
PATH="$PATH:/usr/sbin:/sbin"

marker=.livecut-throwaway-pg

die() { echo "pg-throwaway: $*" >&2; exit 1; }

find_pgbin() {
  if [[ -n "${LIVECUT_PGBIN:-}" ]]; then echo "$LIVECUT_PGBIN"; return; fi
  local best
  best=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  [[ -n "$best" && -x "$best/initdb" ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql (run make setup)"
  echo "$best"
}

# Runs a server binary as the cluster owner.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
  local pgbin dir port _
  pgbin=$(find_pgbin)
  # The base must be traversable by the postgres user, which rules out e.g. /root.
  dir=$(mktemp -d "${LIVECUT_PG_BASE:-/tmp}/livecut-pg.XXXXXX")
  touch "$dir/$marker"
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$dir"; fi

  as_owner "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; die "initdb failed"; }

  # Another process may grab the probed port before the server binds it; retry with a new one.
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
        start >/dev/null; then
      break
    fi
    port=
  done
  [[ -n "$port" ]] || { cat "$dir/pg.log" >&2; rm -rf "$dir"; die "server did not start"; }

  "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE ROLE livecut LOGIN CREATEDB PASSWORD 'livecut'" \
    -c "CREATE DATABASE livecut_test OWNER livecut" >/dev/null \
    || { stop "$dir"; die "could not create role/database"; }

  echo "LIVECUT_TEST_PG_URL=postgres://livecut:livecut@127.0.0.1:$port/livecut_test"
  echo "LIVECUT_TEST_PG_DIR=$dir"
}

stop() {
  local dir=${1:-${LIVECUT_TEST_PG_DIR:-}} pgbin
  [[ -n "$dir" ]] || die "stop needs the directory printed by start (argument or LIVECUT_TEST_PG_DIR)"
  [[ -d "$dir" ]] || { echo "pg-throwaway: $dir already gone" >&2; return 0; }
  # Refuse to delete anything this script did not create.
  [[ -f "$dir/$marker" ]] || die "$dir is not a throwaway cluster directory"
  pgbin=$(find_pgbin)
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    as_owner "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) die "usage: $0 start | stop [DIR]" ;;
esac
