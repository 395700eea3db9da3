/**
 * The ditto.yaml `ditto init` writes: every key it sets is a default, so the file changes nothing
 * until edited, and the comments say what each key does. A test checks it against the schema.
 */
export const STARTER_CONFIG = `# ditto.yaml: how ditto makes ephemeral copies of a database.
# Every key is optional; the values below are the defaults. DITTO_<KEY> and
# DITTO_<SECTION>_<KEY> variables override them (DITTO_RUNTIME=local, DITTO_POOL_SIZE=0).
# Durations are 90s, 15m, 2h, 1d or plain seconds. \`ditto doctor\` checks this setup.

# Where copies run: auto (Docker when an engine answers, else the local PostgreSQL
# server binaries), local, or docker.
runtime: auto

# The database copies run.
engine: postgres

# How long a copy lives when \`ditto up --ttl\` is not given.
ttl: 1h

# How long to wait for a new copy to accept connections.
ready_timeout: 60s

dump:
  # The dump every copy starts from (pg_dump -Fc archive or plain SQL), relative to
  # this file. Without one, a copy is an empty database; \`ditto reseed --source URL\`
  # makes one.
  # path: ./ditto.dump
  # \`ditto status\` and \`ditto doctor\` call a dump older than this stale.
  stale_threshold: 7d

# Ports copies listen on, on 127.0.0.1 only. Ports other programs hold are skipped.
ports:
  min: 5433
  max: 5600

# Warm copies kept ready, so \`ditto up\` hands one over at once.
pool:
  size: 2
  # A warm copy nobody claimed for this long is replaced.
  idle_ttl: 1h

# The local runtime: PostgreSQL server binaries on this machine, found on PATH, by
# pg_config, or in /usr/lib/postgresql/*/bin.
# local:
#   bin_dir: /usr/lib/postgresql/15/bin
#   user: postgres            # the account servers run as when ditto runs as root
#   data_dir: /var/tmp/ditto  # default: <home>/copies

# The Docker runtime: the image copies run (default: the official postgres image)
# and the network: bridge (port published on 127.0.0.1), host (the server listens
# on 127.0.0.1:<port>), or auto (bridge when the engine has one, else host).
# copy_image: postgres:16
docker:
  network: auto
`;
