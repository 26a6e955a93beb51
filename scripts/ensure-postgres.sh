#!/usr/bin/env bash
# The tests start their own throwaway PostgreSQL server from the machine's binaries.
# Make sure those binaries exist: install Debian's server package when they don't (needs root).
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL server binaries (initdb) are missing; install the 'postgresql' package" >&2
  exit 1
fi
echo "Installing PostgreSQL server binaries for the tests…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql >/dev/null
