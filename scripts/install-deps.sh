#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need (idempotent). Run as root, or with sudo available.
set -euo pipefail
# bindfs: the Watchers test of a FUSE mount (polled automatically), which must not be skipped in CI.
# dpkg-dev, binutils: scripts/package.sh (dpkg-shlibdeps, strip); man-db, systemd: the package check (man,
# systemd-analyze verify).
packages=(libpam0g-dev libsqlite3-dev sqlite3 python3-venv curl openssl bindfs dpkg-dev binutils man-db systemd)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "Installing: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
