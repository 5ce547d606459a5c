#!/usr/bin/env bash
# Makes sure the local services the tests use are up (PostgreSQL, RabbitMQ, Redis, NATS with
# JetStream), starting a stopped one with the machine's own command. Sourced by .ci/run; safe to
# run on its own. Kafka is not a machine service: scripts/test starts it (.ci/kafka.sh).
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

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_rabbitmq() {
  if ! port_open 5672; then
    echo "ci: starting RabbitMQ"
    rabbitmq-server -detached
  fi
  wait_for RabbitMQ 120 port_open 5672
  # The broker may have been left with its app stopped (rabbitmqctl stop_app).
  rabbitmqctl -q start_app >/dev/null 2>&1 || true
}

ensure_redis() {
  if ! port_open 6379; then
    echo "ci: starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
  fi
  wait_for Redis 30 port_open 6379
}

ensure_nats() {
  if ! port_open 4222; then
    echo "ci: starting NATS"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
      -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  fi
  wait_for NATS 30 port_open 4222
}

ensure_all() {
  ensure_postgres
  ensure_rabbitmq
  ensure_redis
  ensure_nats
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  ensure_all
fi
