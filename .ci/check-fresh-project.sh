#!/usr/bin/env bash
# Issue 12's acceptance, as a new user would do it: install the artifacts locally (README
# "Install"), write a fresh project outside the repository from the README's "Spring Boot"
# walk-through (its file blocks, verbatim: .ci/readme-files.py), build it, run it on PostgreSQL
# and RabbitMQ, and check that an order placed over HTTP committed with its event, that the
# embedded relay published the event to RabbitMQ, that the consumer handled it once through the
# inbox, and that a failing order left neither order nor event. The only change to
# what the README says is the database: a scratch one (SPRING_DATASOURCE_URL), dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER

mvn -B -o -q -DskipTests install
work=$(mktemp -d /tmp/outbox-fresh.XXXXXX)
db="outbox_fresh_$(date +%s)_$$"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    psql -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    # The README's consumer declares a durable queue; the exchange "outbox" is the demo's too.
    out=$(rabbitmqctl -q delete_queue orders.notifications 2>&1) \
        || echo "check-fresh-project: could not delete the queue orders.notifications: $out" >&2
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "check-fresh-project: FAILED: $*" >&2; tail -n 60 "$work/app.log" >&2 2>/dev/null || true; exit 1; }

python3 .ci/readme-files.py README.md "$work"
psql -q -d postgres -c "CREATE DATABASE $db"
# Online: the fresh project takes Spring Boot's own versions, which the repository's build did not fetch.
(cd "$work" && mvn -B -q -DskipTests package) || fail "the README's project does not build"

SPRING_DATASOURCE_URL="jdbc:postgresql://$PGHOST:$PGPORT/$db" \
    java -jar "$work/target/orders-1.0.0.jar" --server.port="$port" >"$work/app.log" 2>&1 &
pid=$!
deadline=$((SECONDS + 90))
until curl -sf "http://127.0.0.1:$port/actuator/health" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || fail "the application exited"
    [ $SECONDS -lt $deadline ] || fail "the application did not answer within 90 s"
    sleep 0.5
done

q() { psql -qtAX -d "$db" -c "$1"; }
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/orders/o-1?amount=10")
[ "$code" = 201 ] || fail "POST /orders/o-1 answered $code, not 201"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/orders/o-2?amount=-1")
[ "$code" = 500 ] || fail "POST /orders/o-2?amount=-1 answered $code, not 500"

[ "$(q "SELECT count(*) FROM orders WHERE id = 'o-1'")" = 1 ] || fail "order o-1 was not committed"
[ "$(q "SELECT count(*) FROM orders WHERE id = 'o-2'")" = 0 ] || fail "order o-2 was committed although its method failed"
[ "$(q "SELECT (SELECT count(*) FROM outbox.event WHERE aggregateid = 'o-2')
        + (SELECT count(*) FROM outbox.event_history WHERE aggregateid = 'o-2')")" = 0 ] \
    || fail "the event of the rolled-back order o-2 was written"
deadline=$((SECONDS + 60))
until [ "$(q "SELECT count(*) FROM outbox.event_history WHERE aggregateid = 'o-1' AND type = 'OrderPlaced'")" = 1 ]; do
    [ $SECONDS -lt $deadline ] || fail "the embedded relay did not publish o-1's event within 60 s"
    sleep 0.5
done
deadline=$((SECONDS + 30))
until [ "$(q "SELECT count(*) FROM notifications n JOIN outbox.inbox i ON i.event_id = n.event_id
        WHERE i.consumer = 'notifications' AND n.body::jsonb = '{\"id\": \"o-1\", \"amount\": 10}'")" = 1 ]; do
    [ $SECONDS -lt $deadline ] || fail "the consumer did not record o-1's event through the inbox within 30 s"
    sleep 0.5
done
health=$(curl -s "http://127.0.0.1:$port/actuator/health")
echo "$health" | grep -q '"outboxRelay":{"status":"UP"' || fail "actuator health has no UP outboxRelay: $health"
[ "$(q "SELECT count(*) FROM outbox_schema_history WHERE success")" -ge 7 ] || fail "Flyway did not record the outbox's migrations"
echo "check-fresh-project: a project written from the README builds, commits an order with its event, rolls both back on failure, and its embedded relay publishes to RabbitMQ, where its consumer handles it once"
