#!/usr/bin/env bash
# System packages the tests need (Debian): Chromium for the browser tests, npm (with
# Node.js) to install the pinned axe-core they check pages with, and PostgreSQL (server
# programs and libpq) for the screen's test against a real database server (the test
# starts its own throwaway server; none is left running).
# Called by `make test`; does nothing when everything is already there.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v npm >/dev/null 2>&1 || need+=(npm)
# initdb is not on PATH in Debian's package: look in its versioned folder too
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "installing system packages: ${need[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "error: ${need[*]} missing and not root; install them with: apt-get install ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
