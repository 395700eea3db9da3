#!/usr/bin/env bash
# Starts a Docker engine with no bridge (containers use host networking, loopback only) and builds a
# local PostgreSQL image that behaves like the official one, from the installed binaries. Prints the
# image name. Nothing is pulled: the image is a root filesystem of this machine's PostgreSQL 15
# binaries, the libraries ldd names, and busybox-static, packed with `docker import` (~5 s).
# Idempotent: a running engine is left as it is, and the image is rebuilt only when this script
# changed since it was built (DITTO_TEST_REBUILD=1 forces it). Called by scripts/setup-test-machine.sh.
set -euo pipefail
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v busybox >/dev/null || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
  # The package would start its own engine, with a bridge; this script starts one without.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/tmp/ditto-test-apt.log 2>&1
  rm -f /usr/sbin/policy-rc.d
fi
if ! /usr/bin/docker info >/dev/null 2>&1; then
  (setsid dockerd --bridge=none --iptables=false --ip-masq=false >/tmp/ditto-test-dockerd.log 2>&1 &)
  for i in $(seq 1 50); do /usr/bin/docker info >/dev/null 2>&1 && break; sleep 0.2; done
fi
img=${DITTO_TEST_IMAGE:-ditto-test/postgres:15}
recipe=$(sha256sum "$0" | cut -c1-12)
built=$(/usr/bin/docker image inspect -f '{{index .Config.Labels "ditto.test.recipe"}}' $img 2>/dev/null || true)
if [ "${DITTO_TEST_REBUILD:-}" = 1 ] || [ "$built" != "$recipe" ]; then
  old=$(/usr/bin/docker image inspect -f '{{.Id}}' $img 2>/dev/null || true)
  R=$(mktemp -d /tmp/ditto-test-pgroot.XXXXXX)
  mkdir -p $R/bin $R/usr/lib $R/usr/share/postgresql $R/etc $R/tmp $R/var/run/postgresql $R/var/lib/postgresql
  chmod 1777 $R/tmp
  cp -a /usr/lib/postgresql $R/usr/lib/; cp -a /usr/share/postgresql/15 $R/usr/share/postgresql/
  cp "$(command -v busybox)" $R/bin/busybox
  for a in sh rm mkdir cat chown chmod env ls sleep id find; do ln -sf busybox $R/bin/$a; done
  for f in /usr/lib/postgresql/15/bin/*; do ldd $f 2>/dev/null | awk '/=>/ {print $3} /ld-linux/ {print $1}'; done | sort -u | while read l; do
    [ -f "$l" ] && mkdir -p $R$(dirname $l) && cp -L $l $R$l; done
  printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:postgres:/var/lib/postgresql:/bin/sh\n' > $R/etc/passwd
  printf 'root:x:0:\npostgres:x:999:\n' > $R/etc/group
  chown -R 999:999 $R/var/lib/postgresql $R/var/run/postgresql
  cat > $R/usr/local-entrypoint.sh <<'EOS'
#!/bin/sh
set -e
PG=/usr/lib/postgresql/15/bin
: "${PGDATA:=/var/lib/postgresql/data}"
# As the official image: chown only what is not the server's yet. A recursive chown would copy
# every file of a data directory that came with the image (a golden snapshot) up into the container.
if [ "$(id -u)" = 0 ]; then mkdir -p "$PGDATA"; find "$PGDATA" ! -user postgres -exec chown postgres:postgres {} \;; chown postgres:postgres /var/run/postgresql; chmod 700 "$PGDATA"; fi
run() { if [ "$(id -u)" = 0 ]; then busybox su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" > /tmp/pw; chmod 644 /tmp/pw
  run "$PG/initdb -D '$PGDATA' -U '${POSTGRES_USER:-postgres}' --pwfile=/tmp/pw --auth=scram-sha-256 ${POSTGRES_INITDB_ARGS:-} >/dev/null"
  rm -f /tmp/pw
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != "${POSTGRES_USER:-postgres}" ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\"" | run "$PG/postgres --single -D '$PGDATA' postgres >/dev/null" || true
  fi
fi
if [ "$1" = postgres ]; then shift; fi
if [ "$(id -u)" = 0 ]; then exec busybox su postgres -s /bin/sh -c "exec $PG/postgres -D '$PGDATA' -c listen_addresses='*' $*"; fi
exec $PG/postgres -D "$PGDATA" -c listen_addresses='*' "$@"
EOS
  chmod +x $R/usr/local-entrypoint.sh
  # VOLUME as in the official image: each container gets an anonymous data volume, which ditto must remove with it.
  tar -C $R -c . | /usr/bin/docker import -c 'ENV PGDATA=/var/lib/postgresql/data LANG=C PATH=/usr/lib/postgresql/15/bin:/bin' \
     -c 'ENTRYPOINT ["/usr/local-entrypoint.sh"]' -c 'CMD ["postgres"]' -c 'EXPOSE 5432' -c 'VOLUME /var/lib/postgresql/data' -c "LABEL ditto.test.recipe=$recipe" - $img >/dev/null
  rm -rf $R
  # The previous build, now untagged (kept if a container still uses it).
  if [ -n "$old" ]; then /usr/bin/docker image rm "$old" >/dev/null 2>&1 || true; fi
fi
echo $img
