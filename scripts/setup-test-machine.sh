#!/usr/bin/env bash
# Makes a fresh Debian machine ready for `npm test`: PostgreSQL and MariaDB server binaries, npm
# packages, a Docker engine and the local test images, and what the Python SDK's tests use.
# Idempotent; CI (.ci/run) and the README's test command both start here.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

missing=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
[ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server mariadb-client)
command -v script >/dev/null || missing+=(bsdutils)
# The Python SDK's tests (scripts/test-python.sh): Debian's pytest for /usr/bin/python3, a venv
# that `pip install`s sdk/python offline (setuptools and wheel as the build backend), and openssl
# for the certificates of the HTTPS host they start.
for pkg in python3-pytest python3-venv python3-setuptools python3-wheel; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
command -v openssl >/dev/null || missing+=(openssl)
# XFS (reflink) and btrfs images for the tests of block-level clones and what a copy owns (filefrag: e2fsprogs).
[ -x /usr/sbin/mkfs.xfs ] || [ -x /sbin/mkfs.xfs ] || missing+=(xfsprogs)
[ -x /usr/sbin/mkfs.btrfs ] || [ -x /sbin/mkfs.btrfs ] || missing+=(btrfs-progs)
command -v filefrag >/dev/null || [ -x /usr/sbin/filefrag ] || missing+=(e2fsprogs)
# The dashboard's browser tests drive Debian's Chromium with playwright-core (test/helpers/browser.ts).
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  # The packages would start a cluster of their own on 5432 and a server on 3306; ditto needs only
  # the binaries.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

bash scripts/install-deps.sh

# A Docker engine (no bridge: containers share the host's loopback) and the local PostgreSQL image
# the Docker runtime's tests use as copy_image; nothing is pulled.
bash scripts/docker-test-engine.sh >/dev/null
# The local MariaDB image (ditto-test/mariadb:10.11), made the same way from the MariaDB binaries.
bash scripts/docker-test-mariadb.sh >/dev/null
