#!/usr/bin/env bash
# The counter poster draws a Chinese shop name with an installed CJK font (its bundled font only
# covers the poster's own lines); the test of that needs one. Debian's WenQuanYi Micro Hei is the
# small one (1.6 MB); fonts-noto-cjk looks better on a real shop's machine. Installed when missing
# and we are root.
set -euo pipefail
if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family 2>/dev/null | head -n 1)" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "No CJK font is installed; the poster test with a Chinese shop name will say so" >&2
  exit 0
fi
echo "Installing Debian's fonts-wqy-microhei for the poster test…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq fonts-wqy-microhei >/dev/null
