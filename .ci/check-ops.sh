#!/usr/bin/env bash
# The operations pack (ops/): the alerting rules parse and behave as their unit tests say, and
# every dashboard query parses. Uses promtool from Debian's prometheus package, unpacked into a
# cache (not installed: no Prometheus server is set up or started). OpsPackIT checks the metric
# names against a real /metrics scrape.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${XDG_CACHE_HOME:-$HOME/.cache}/outbox/prometheus
promtool=$cache/usr/bin/promtool
if [[ ! -x $promtool ]]; then
  mkdir -p "$cache"
  (cd "$cache" && apt-get download prometheus >/dev/null 2>&1) || {
    echo "ci: cannot download Debian's prometheus package for promtool (apt-get download prometheus)" >&2
    exit 1
  }
  dpkg -x "$cache"/prometheus_*.deb "$cache"
fi
"$promtool" check rules ops/prometheus/outbox-alerts.yml
(cd ops/prometheus && "$promtool" test rules outbox-alerts.test.yml)

# The dashboard's queries, as recording rules, so that promtool parses each one.
queries=$(mktemp --suffix=.yml)
trap 'rm -f "$queries"' EXIT
python3 - ops/grafana/outbox-dashboard.json "$queries" <<'PY'
import json, sys
board = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for panel in board["panels"]:
        for target in panel["targets"]:
            out.write("      - record: dashboard:panel%d_%s\n        expr: %s\n"
                      % (panel["id"], target["refId"], json.dumps(target["expr"])))
PY
"$promtool" check rules "$queries" >/dev/null
echo "ci: ops/ alerting rules and their tests pass promtool; every dashboard query parses"
