#!/usr/bin/env bash
# The DBA's path: apply sql/V*.sql with psql -v ON_ERROR_STOP=1 to a new empty database, then
# to a second one while the roles already exist. Leaves the server as it found it.
set -euo pipefail
cd "$(dirname "$0")/.."
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -q)

roles_before=$("${PSQL[@]}" -d postgres -Atc "SELECT count(*) FROM pg_roles WHERE rolname IN ('outbox_app','outbox_relay')")
dbs=(outbox_it_psql_a outbox_it_psql_b)
cleanup() {
  for db in "${dbs[@]}"; do "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; done
  if [[ $roles_before == 0 ]]; then "${PSQL[@]}" -d postgres -c "DROP ROLE IF EXISTS outbox_app, outbox_relay"; fi
}
trap cleanup EXIT

for db in "${dbs[@]}"; do
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE $db"
  for f in $(ls sql/V*.sql | sort -V); do
    "${PSQL[@]}" -d "$db" -f "$f"
  done
done
echo "ci: sql/ applies with psql to a new database and to a second one with existing roles"
