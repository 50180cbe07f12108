#!/usr/bin/env bash
# The Debian packages the tests drive: Chromium (the inspector page; npm downloads no browser)
# and redis-server (the Redis store; each test file starts its own on a free loopback port), and
# bsdutils for script(1) (a terminal for the command, closed under it), present on most systems.
# Installs what is missing when it can (root or sudo, apt-get); otherwise says what to install.
set -euo pipefail

missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v script >/dev/null || missing+=(bsdutils)
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo="none"; fi
fi
if [ "$sudo" = "none" ] || ! command -v apt-get >/dev/null; then
  echo "The tests need these Debian packages, which are not installed: ${missing[*]}" >&2
  echo "Install them as root with: apt-get install -y ${missing[*]}" >&2
  echo "(this script could not: it needs root or password-less sudo, and apt-get)" >&2
  exit 1
fi
echo "Installing the Debian packages the tests need: ${missing[*]}" >&2
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}"
