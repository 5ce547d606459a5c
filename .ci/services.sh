#!/usr/bin/env bash
# Makes sure the local services the tests use are up, starting a stopped one with the
# machine's own command. Sourced by .ci/run; safe to run on its own.
set -euo pipefail

wait_for() { # wait_for <what> <seconds> <command...>
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "ci: $what is not reachable after ${seconds}s" >&2
      return 1
    fi
    sleep 1
  done
}

ensure_postgres() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "ci: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  fi
  wait_for PostgreSQL 60 pg_isready -q -h 127.0.0.1 -p 5432
  # A test run that was killed leaves its databases behind; they are named outbox_it_*.
  psql -h 127.0.0.1 -U postgres -d postgres -Atqc \
    "SELECT datname FROM pg_database WHERE datname LIKE 'outbox\_it\_%'" |
    while read -r db; do psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE \"$db\" WITH (FORCE)"; done
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  ensure_postgres
fi
