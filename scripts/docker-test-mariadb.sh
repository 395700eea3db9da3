#!/usr/bin/env bash
# Builds a local MariaDB image that behaves like the official `mariadb:10.11`, from the installed
# binaries, and prints its name. Nothing is pulled: the image is a root filesystem of this machine's
# MariaDB 10.11 (Debian's mariadb-server), the libraries ldd names, and busybox-static, packed with
# `docker import` (~5 s). Idempotent: the image is rebuilt only when this script changed since it was
# built (DITTO_TEST_REBUILD=1 forces it). Expects the engine of scripts/docker-test-engine.sh (no
# bridge: containers use --network host, loopback only), which it runs first (idempotent, quick).
# Called by scripts/setup-test-machine.sh.
#
# The image's contract, as the official one: ENTRYPOINT docker-entrypoint.sh, CMD ["mariadbd"],
# VOLUME /var/lib/mysql, EXPOSE 3306. On first start (no mysql/ system schema in the data directory,
# which is --datadir=PATH when the command has one, else /var/lib/mysql) MARIADB_ROOT_PASSWORD (or
# MYSQL_ROOT_PASSWORD) is required; root@'%' and root@'localhost' get it with all privileges WITH
# GRANT OPTION, and MARIADB_DATABASE (or MYSQL_DATABASE) is created. An initialised directory is
# started as it is (the environment is ignored). The server runs as `mysql` (999:999); the other
# arguments go to mariadbd unchanged. Binaries: /usr/sbin/mariadbd, /usr/bin/mariadb,
# /usr/bin/mariadb-dump, /usr/bin/mariadb-admin (and the mysql* names).
set -euo pipefail
# The engine (and busybox) as the PostgreSQL image's script sets them up; MariaDB's binaries come
# from scripts/setup-test-machine.sh.
[ -x /usr/sbin/mariadbd ] || { echo "MariaDB is not installed (apt-get install mariadb-server mariadb-client)" >&2; exit 1; }
bash "$(dirname "$0")/docker-test-engine.sh" >/dev/null
img=${DITTO_TEST_MARIADB_IMAGE:-ditto-test/mariadb:10.11}
recipe=$(sha256sum "$0" | cut -c1-12)
built=$(/usr/bin/docker image inspect -f '{{index .Config.Labels "ditto.test.recipe"}}' $img 2>/dev/null || true)
if [ "${DITTO_TEST_REBUILD:-}" = 1 ] || [ "$built" != "$recipe" ]; then
  old=$(/usr/bin/docker image inspect -f '{{.Id}}' $img 2>/dev/null || true)
  R=$(mktemp -d /tmp/ditto-test-mariadbroot.XXXXXX)
  trap 'rm -rf "$R"' EXIT
  mkdir -p $R/bin $R/usr/bin $R/usr/sbin $R/usr/local/bin $R/usr/lib/mysql $R/usr/share $R/tmp \
    $R/etc/mysql/conf.d $R/etc/mysql/mariadb.conf.d $R/run/mysqld $R/var/lib/mysql
  chmod 1777 $R/tmp
  ln -s ../run $R/var/run
  cp -a /usr/share/mysql $R/usr/share/; cp -a /usr/lib/mysql/plugin $R/usr/lib/mysql/
  cp -a /usr/sbin/mariadbd $R/usr/sbin/; ln -s mariadbd $R/usr/sbin/mysqld
  bins="mariadb mariadb-dump mariadb-admin mariadb-check mariadb-upgrade mariadb-install-db my_print_defaults resolveip"
  for b in $bins; do cp -a /usr/bin/$b $R/usr/bin/; done
  ln -s mariadb $R/usr/bin/mysql; ln -s mariadb-dump $R/usr/bin/mysqldump; ln -s mariadb-admin $R/usr/bin/mysqladmin
  ln -s mariadb-install-db $R/usr/bin/mysql_install_db; ln -s mariadb-upgrade $R/usr/bin/mysql_upgrade
  # Client authentication plugins (caching_sha2_password, ed25519, ...), for connecting to other servers.
  cp=/usr/lib/x86_64-linux-gnu/libmariadb3/plugin
  if [ -d $cp ]; then mkdir -p $R$(dirname $cp) && cp -a $cp $R$cp; fi
  cp "$(command -v busybox)" $R/bin/busybox
  # mariadb-install-db is a shell script: sed, awk, dirname, uname, cat, mkdir, chmod, chown.
  for a in sh ash awk basename cat chmod chown cp cut date dirname echo env expr false find grep head hostname id \
    kill ln ls mkdir mktemp mv od printf ps pwd readlink rm rmdir sed sleep sort stat su tail tee test touch tr \
    true uname wc xargs; do ln -sf busybox $R/bin/$a; done
  for f in /usr/sbin/mariadbd $(printf '/usr/bin/%s ' $bins) $(find /usr/lib/mysql/plugin $cp -type f 2>/dev/null); do
    ldd $f 2>/dev/null | awk '/=>/ {print $3} /ld-linux/ {print $1}' || true; done | sort -u | while read l; do
    if [ -f "$l" ]; then mkdir -p $R$(dirname $l) && cp -L $l $R$l; fi; done
  printf 'root:x:0:0:root:/root:/bin/sh\nmysql:x:999:999:MariaDB:/var/lib/mysql:/bin/sh\n' > $R/etc/passwd
  printf 'root:x:0:\nmysql:x:999:\n' > $R/etc/group
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' > $R/etc/nsswitch.conf
  # As the official image: /etc/mysql/my.cnf includes conf.d/ and mariadb.conf.d/; docker.cnf turns off DNS.
  printf '[client-server]\nsocket = /run/mysqld/mysqld.sock\n\n!includedir /etc/mysql/conf.d/\n!includedir /etc/mysql/mariadb.conf.d/\n' > $R/etc/mysql/my.cnf
  printf '[mariadb]\nhost-cache-size=0\nskip-name-resolve\n' > $R/etc/mysql/conf.d/docker.cnf
  chown -R 999:999 $R/var/lib/mysql $R/run/mysqld
  cat > $R/usr/local/bin/docker-entrypoint.sh <<'EOS'
#!/bin/sh
set -e
# As the official image: options alone are options of mariadbd; any other command is run as it is.
case "${1:-}" in -*) set -- mariadbd "$@" ;; esac
if [ "${1:-}" != mariadbd ] && [ "${1:-}" != mysqld ]; then exec "$@"; fi
shift
DATADIR=/var/lib/mysql; prev=
for a in "$@"; do
  case "$a" in --datadir=*) DATADIR=${a#--datadir=} ;; esac
  if [ "$prev" = --datadir ]; then DATADIR=$a; fi
  prev=$a
done
if [ "$(id -u)" = 0 ]; then
  # Chown only what is not the server's yet: a recursive chown would copy every file of a data
  # directory that came with the image (a golden snapshot) up into the container's layer.
  mkdir -p "$DATADIR"
  find "$DATADIR" /run/mysqld ! -user mysql -exec chown mysql:mysql {} +
  # `--`: busybox's getopt would take the server's options for su's own.
  as_mysql() { busybox su -s /bin/sh -c 'exec "$0" "$@"' -- mysql "$@"; }
else
  as_mysql() { "$@"; }
fi
hex() { printf %s "$1" | od -An -v -tx1 | tr -d ' \n'; }
if [ ! -d "$DATADIR/mysql" ]; then
  pw=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
  if [ -z "$pw" ]; then
    echo "error: database is uninitialized and password option is not specified" >&2
    echo "  You need to specify MARIADB_ROOT_PASSWORD (or MYSQL_ROOT_PASSWORD)" >&2
    exit 1
  fi
  db=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}
  # Run by mariadbd --bootstrap after the system tables (the grant tables are not loaded then, so
  # the accounts are written into mysql.global_priv directly). Values travel as hex: no quoting.
  sql=$(mktemp /tmp/ditto-init.XXXXXX)
  {
    echo "SET @pw = CONVERT(UNHEX('$(hex "$pw")') USING utf8mb4);"
    echo "DELETE FROM mysql.global_priv WHERE user = 'root' AND host <> 'localhost';"
    echo "DELETE FROM mysql.proxies_priv WHERE user = 'root' AND host <> 'localhost';"
    echo "UPDATE mysql.global_priv SET priv = JSON_SET(priv, '\$.plugin', 'mysql_native_password', '\$.authentication_string', PASSWORD(@pw)) WHERE user = 'root' AND host = 'localhost';"
    echo "INSERT INTO mysql.global_priv SELECT '%', user, priv FROM mysql.global_priv WHERE user = 'root' AND host = 'localhost';"
    echo "INSERT INTO mysql.proxies_priv SELECT '%', user, proxied_host, proxied_user, with_grant, grantor, timestamp FROM mysql.proxies_priv WHERE user = 'root' AND host = 'localhost';"
    if [ -n "$db" ]; then
      echo "EXECUTE IMMEDIATE CONCAT('CREATE DATABASE IF NOT EXISTS \`', REPLACE(CONVERT(UNHEX('$(hex "$db")') USING utf8mb4), '\`', '\`\`'), '\`');"
    fi
  } > "$sql"
  if [ "$(id -u)" = 0 ]; then chown mysql "$sql"; fi
  # The server's arguments go to the bootstrap too (page size, lower_case_table_names, charset...).
  if ! out=$(as_mysql mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
       --skip-test-db --force --extra-file="$sql" --skip-log-bin --loose-innodb-buffer-pool-dump-at-shutdown=0 "$@" 2>&1); then
    rm -f "$sql"; echo "$out" >&2; exit 1
  fi
  rm -f "$sql"
  echo "docker-entrypoint.sh: initialised $DATADIR${db:+ with database $db}" >&2
fi
if [ "$(id -u)" = 0 ]; then
  exec busybox su -s /bin/sh -c 'exec "$0" "$@"' -- mysql /usr/sbin/mariadbd --datadir="$DATADIR" "$@"
fi
exec /usr/sbin/mariadbd --datadir="$DATADIR" "$@"
EOS
  chmod +x $R/usr/local/bin/docker-entrypoint.sh
  ln -s usr/local/bin/docker-entrypoint.sh $R/docker-entrypoint.sh
  # VOLUME as in the official image: each container gets an anonymous data volume, which ditto must remove with it.
  tar -C $R -c . | /usr/bin/docker import -c 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
     -c 'ENTRYPOINT ["docker-entrypoint.sh"]' -c 'CMD ["mariadbd"]' -c 'EXPOSE 3306' -c 'VOLUME /var/lib/mysql' \
     -c "LABEL ditto.test.recipe=$recipe" - $img >/dev/null
  rm -rf $R; trap - EXIT
  # The previous build, now untagged (kept if a container still uses it).
  if [ -n "$old" ]; then /usr/bin/docker image rm "$old" >/dev/null 2>&1 || true; fi
fi
echo $img
