#!/usr/bin/env bash
# The README's first command, as written: scripts/demo must run to its end on this machine and
# show what the README says it shows (every event processed once by each consumer, the replayed
# duplicate ignored by both). The demo keeps its database and queues for the curious; CI does not.
set -euo pipefail
cd "$(dirname "$0")/.."
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
cleanup() {
  psql -q -d postgres -c "DROP DATABASE IF EXISTS outbox_sample WITH (FORCE)" >/dev/null 2>&1 || true
  for q in sample.inventory sample.inventory.dlq sample.notifications sample.notifications.dlq; do
    rabbitmqctl -q delete_queue "$q" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT
out=$(scripts/demo 2>&1) || { echo "$out" >&2; echo "check-demo: scripts/demo failed" >&2; exit 1; }
expect() {
  grep -q -- "$1" <<<"$out" || { echo "$out" >&2; echo "check-demo: the demo's output lacks: $1" >&2; exit 1; }
}
expect "events written 4, processed by inventory 4, by notifications 4, emails sent 4"
expect "inventory     .* OrderPlaced: duplicate ignored (already in the inbox)"
expect "notifications .* OrderPlaced: duplicate ignored (already in the inbox)"
expect "rolled back at commit: outbox events 3 → 3"
echo "check-demo: scripts/demo runs end to end (4 events, each processed once per consumer, the replayed one ignored)"
