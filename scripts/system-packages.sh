#!/usr/bin/env bash
# Installs the system programs the test suite drives for real, when they are missing:
# a PostgreSQL server (initdb/pg_ctl), Chromium and a Java runtime (for Spark). Debian/Ubuntu only; needs root or sudo.
set -euo pipefail

missing=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
# Chromium: the web app's end-to-end tests and the docs' screenshots drive a real browser
if [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
# Java: the Spark engine's tests and the four-engine parity suite run Spark in local mode
if ! command -v java >/dev/null 2>&1; then
  missing+=(default-jre-headless)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing system packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
