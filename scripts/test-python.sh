#!/usr/bin/env bash
# The Python SDK's tests (sdk/python/tests), run by `npm test` after vitest. They need an
# interpreter with pytest: `python3` when it has one (a pyenv or venv python), else Debian's
# /usr/bin/python3 with python3-pytest, which scripts/setup-test-machine.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
for python in python3 /usr/bin/python3; do
  if command -v "$python" >/dev/null && "$python" -m pytest --version >/dev/null 2>&1; then
    exec "$python" -m pytest -q sdk/python/tests "$@"
  fi
done
echo "test:python: no python3 with pytest here; run bash scripts/setup-test-machine.sh (or apt-get install python3-pytest)" >&2
exit 1
