#!/usr/bin/env bash
# The relay's container image and its Kubernetes manifests (README "Container image and
# Kubernetes"): kubectl decodes the manifests (no cluster needed), Jib builds the image tarball on
# a base made here (.ci/base-image.sh: no container registry is reachable in CI), and ImageIT
# checks the tarball and runs the image without a container engine against the local PostgreSQL.
# KubernetesManifestsTest runs with the other unit tests (scripts/test).
set -euo pipefail
cd "$(dirname "$0")/.."
# ImageIT's scratch database, on this machine's PostgreSQL as scripts/test has it.
export OUTBOX_TEST_JDBC_URL=${OUTBOX_TEST_JDBC_URL:-jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}
start=$(date +%s)

# 1. kubectl without a server: every file holds Kubernetes objects, and the Deployment decodes into
#    the typed API (a wrong type fails) without losing a field (a misspelt field would be dropped).
command -v kubectl >/dev/null || {
  echo "ci: kubectl is missing (apt-get install kubectl, from packages.cloud.google.com/apt)" >&2
  exit 1
}
kubectl label --local -f ops/kubernetes/ check=ok -o name >/dev/null
given=$(mktemp) typed=$(mktemp)
trap 'rm -f "$given" "$typed"' EXIT
kubectl label --local -f ops/kubernetes/deployment.yaml check=ok -o json >"$given"
kubectl set env --local -f ops/kubernetes/deployment.yaml OUTBOX_CHECK=1 -o json >"$typed"
python3 - "$given" "$typed" <<'PY'
import json, sys
given, typed = (json.load(open(f)) for f in sys.argv[1:])
def paths(value, prefix=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, prefix + "." + k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, "%s[%d]" % (prefix, i))
    else:
        yield prefix
typed_paths = set(paths(typed))
lost = [p for p in paths(given) if p not in typed_paths and not p.startswith(".metadata.labels.check")]
if lost:
    sys.exit("ci: ops/kubernetes/deployment.yaml: fields the Kubernetes API does not know: " + ", ".join(lost))
PY
echo "ci: ops/kubernetes/ decodes with kubectl (the Deployment into the typed API, no field lost)"

# 2. The base image (cached), then the image and ImageIT. Offline once Jib is in the Maven repository.
base=$(bash .ci/base-image.sh)
offline=-o
[[ -d $HOME/.m2/repository/com/google/cloud/tools/jib-maven-plugin ]] || offline=
mvn -B -q $offline -Pimage verify -pl relay/image -am -Dtest=none -Dit.test=ImageIT \
  -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
  -Djib.disableUpdateChecks=true "-Dimage.base=tar://$base"
echo "ci: relay/image/target/jib-image.tar built and run (ImageIT) in $(( $(date +%s) - start )) s"
