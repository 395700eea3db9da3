#!/usr/bin/env bash
# Installs the npm packages the lock file names. `npm ci` first; where it refuses because the lock
# cannot list other platforms' optional packages (a registry that does not serve them, as on the
# machines here: @rollup/rollup-android-* and the like), `npm install --no-save` installs the same
# locked versions without rewriting the lock.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
if ! npm ci --no-audit --no-fund >"$log" 2>&1; then
  grep -q 'EUSAGE' "$log" || { cat "$log" >&2; rm -f "$log"; exit 1; }
  echo "npm ci refused the lock file (optional packages of other platforms missing); using npm install --no-save" >&2
  npm install --no-save --no-audit --no-fund
fi
rm -f "$log"

# The Node.js the single executable is built on (scripts/build-binary.mjs), from its own lock.
npm ci --prefix scripts/sea-node --no-audit --no-fund >/dev/null
