#!/usr/bin/env bash
# Installs the npm packages exactly as the lock file names them. The lock is generated from
# scratch (npm install --package-lock-only with no node_modules), so it lists every platform's
# optional packages and `npm ci` takes it as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund

# The Node.js the single executable is built on (scripts/build-binary.mjs), from its own lock.
npm ci --prefix scripts/sea-node --no-audit --no-fund >/dev/null
