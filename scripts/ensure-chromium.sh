#!/usr/bin/env bash
# The playground's browser test drives Debian's Chromium through playwright (a browser download
# by `playwright install` cannot work here). Install it when it is missing and we are root.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Chromium (/usr/bin/chromium) is missing; the browser test will say so" >&2
  exit 0
fi
echo "Installing Debian's chromium for the browser test…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
