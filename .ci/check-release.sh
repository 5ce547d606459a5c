#!/usr/bin/env bash
# The release profile (pom.xml "release"): every artifact the BOM lists gets its jar, a sources
# jar and a Javadoc jar (broken Javadoc fails the build). Signing is configured but skipped here:
# the release key is not on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -Prelease -Dgpg.skip -DskipTests verify
version=$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' pom.xml | head -n 1)
missing=()
for artifact in $(sed -n 's|.*<artifactId>\(outbox-[a-z-]*\)</artifactId>.*|\1|p' bom/pom.xml); do
  [[ $artifact == outbox-bom ]] && continue
  for suffix in "" -sources -javadoc; do
    file="$artifact-$version$suffix.jar"
    if [[ -z $(find . -path '*/target/*' -name "$file" -print -quit) ]]; then
      missing+=("$file")
    fi
  done
done
if (( ${#missing[@]} > 0 )); then
  echo "ci: the release profile did not build: ${missing[*]}" >&2
  exit 1
fi
echo "ci: the release profile builds the jar, sources and Javadoc of every artifact of the BOM ($version)"
