#!/usr/bin/env bash
# A Java 17 base image for the relay's image, built without a container registry or a Docker
# engine: a minimal Debian (debootstrap --variant=minbase, from Debian's apt repositories) with
# openjdk-17-jre-headless, written as a docker-save tarball that Jib reads as tar://<path>.
# CI uses it in place of the POM's default base (eclipse-temurin, which needs a registry).
#
# Prints the tarball's path on stdout. Cached under ~/.cache/outbox/base-image/, named after this
# script's hash, so that a change here builds a new one; a cached run takes well under a second.
# Needs root (debootstrap runs the packages' install scripts in a chroot).
set -euo pipefail
cd "$(dirname "$0")/.."
suite=bookworm
mirror=${OUTBOX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/outbox/base-image
stamp=$(sha256sum .ci/base-image.sh | cut -c1-12)
image=$cache/debian-$suite-jre17-$stamp.tar
if [[ -s $image ]]; then
  echo "$image"
  exit 0
fi
if [[ $(id -u) != 0 ]]; then
  echo "ci: .ci/base-image.sh needs root (debootstrap installs packages in a chroot)" >&2
  exit 1
fi
mkdir -p "$cache"
# debootstrap itself, unpacked from Debian's package (not installed on the machine).
tool=$cache/debootstrap
if [[ ! -x $tool/usr/sbin/debootstrap ]]; then
  rm -rf "$tool" && mkdir -p "$tool"
  (cd "$tool" && apt-get download debootstrap >/dev/null 2>&1) || {
    echo "ci: cannot download Debian's debootstrap package (apt-get download debootstrap)" >&2
    exit 1
  }
  dpkg -x "$tool"/debootstrap_*.deb "$tool"
fi

work=$(mktemp -d "$cache/build.XXXXXX")
rootfs=$work/rootfs
cleanup() {
  # debootstrap mounts /proc and /sys in the target while it installs; never leave them behind.
  for m in proc sys dev/pts dev; do
    mountpoint -q "$rootfs/$m" 2>/dev/null && umount -l "$rootfs/$m" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

start=$(date +%s)
DEBOOTSTRAP_DIR=$tool/usr/share/debootstrap "$tool/usr/sbin/debootstrap" --variant=minbase \
  --include=openjdk-17-jre-headless,ca-certificates "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  echo "ci: debootstrap of $suite from $mirror failed (log above)" >&2
  exit 1
}
# What a runtime image does not need: package caches and lists, documentation, manuals, locales.
rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
  "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
  "$rootfs"/var/log/* "$rootfs"/dev/* "$rootfs"/proc/* "$rootfs"/sys/* "$rootfs"/run/* "$rootfs"/tmp/*
java_home=$(dirname "$(dirname "$(readlink -f "$rootfs/usr/bin/java")")")
java_home=${java_home#"$rootfs"}
"$rootfs$java_home/bin/java" -version >/dev/null 2>&1 || {
  echo "ci: the base image's java ($java_home) does not run" >&2
  exit 1
}

# docker-save layout: one uncompressed layer, its config (the diff id is the layer's sha256) and
# manifest.json. Numeric owners as in the rootfs (root), no ./ prefix on the entries.
mkdir "$work/image"
(cd "$rootfs" && tar --numeric-owner --sort=name -cf "$work/layer.tar" -- *)
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mkdir "$work/image/$diff_id"
mv "$work/layer.tar" "$work/image/$diff_id/layer.tar"
python3 - "$work/image" "$diff_id" "$java_home" "$suite" <<'PY'
import hashlib, json, sys
out, diff_id, java_home, suite = sys.argv[1:]
config = {
    "architecture": "amd64",
    "os": "linux",
    "config": {
        "Env": ["PATH=%s/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" % java_home,
                "JAVA_HOME=" + java_home, "LANG=C.UTF-8"],
    },
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
    "history": [{"created_by": ".ci/base-image.sh: debootstrap --variant=minbase %s + openjdk-17-jre-headless" % suite}],
}
data = json.dumps(config, sort_keys=True).encode()
name = hashlib.sha256(data).hexdigest() + ".json"
open("%s/%s" % (out, name), "wb").write(data)
json.dump([{"Config": name, "RepoTags": ["outbox-ci/debian-jre:17"], "Layers": [diff_id + "/layer.tar"]}],
          open(out + "/manifest.json", "w"))
PY
(cd "$work/image" && tar --numeric-owner -cf "$work/image.tar" -- *)
mv "$work/image.tar" "$image"
for old in "$cache"/debian-"$suite"-jre17-*.tar; do
  [[ $old == "$image" ]] || rm -f "$old"
done
echo "ci: base image built in $(( $(date +%s) - start )) s: $(du -h "$image" | cut -f1) $image" >&2
echo "$image"
