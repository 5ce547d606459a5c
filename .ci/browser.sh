#!/usr/bin/env bash
# Headless Chromium and its WebDriver for ConsoleIT (the console tested in a real browser), from
# Debian's repositories. Idempotent: does nothing when both are installed. Needs root (CI runs as root).
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  echo "browser.sh: $(/usr/bin/chromium --version 2>/dev/null | head -1), $(/usr/bin/chromedriver --version | head -1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "browser.sh: installing chromium and chromium-driver needs root: sudo apt-get install -y chromium chromium-driver" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
echo "browser.sh: installed $(/usr/bin/chromium --version 2>/dev/null | head -1), $(/usr/bin/chromedriver --version | head -1)"
