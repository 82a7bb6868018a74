#!/usr/bin/env bash
# Installs Debian's `chromium` for the browser test (test/browser.test.ts) if it is missing.
# Idempotent: exits at once when /usr/bin/chromium is already there.
# Exit codes: 0 installed (or already there), 1 it cannot be installed here (the test then skips).
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  echo "chromium: already installed at $CHROMIUM"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: apt-get not found; install Chromium yourself (or set CHROMIUM_PATH)" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "chromium: not root and no passwordless sudo; cannot apt-get install chromium" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "chromium: installing Debian's chromium package"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
if [ -x /usr/bin/chromium ]; then
  echo "chromium: installed at /usr/bin/chromium ($(/usr/bin/chromium --version 2>/dev/null || true))"
  exit 0
fi
echo "chromium: apt-get finished but /usr/bin/chromium is missing" >&2
exit 1
