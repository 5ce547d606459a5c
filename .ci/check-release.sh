#!/usr/bin/env bash
# The release profile (pom.xml "release"): every artifact the BOM lists gets its jar, a sources
# jar and a Javadoc jar (broken Javadoc fails the build). Signing is configured but skipped here:
# the release key is not on this machine.
# Without the project's coordinates (repository, developers) the profile must refuse to build;
# with them (placeholders here, on the reserved .invalid domain) it builds.
set -euo pipefail
cd "$(dirname "$0")/.."
if refusal=$(mvn -B -q -Prelease -Dgpg.skip -DskipTests validate -N 2>&1); then
  echo "ci: the release profile built without outbox.scm.url and the developers" >&2
  exit 1
fi
grep -q -- "-Doutbox.scm.url=" <<<"$refusal" || { echo "ci: unexpected release refusal: $refusal" >&2; exit 1; }
mvn -B -q -Prelease -Dgpg.skip -DskipTests -Doutbox.scm.url=https://example.invalid/outbox \
  -Doutbox.developer.name="CI check" -Doutbox.developer.email=ci@example.invalid verify
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
