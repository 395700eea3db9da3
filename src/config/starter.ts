/**
 * The ditto.yaml `ditto init` writes: every key it sets is a default, so the file changes nothing
 * until edited, and the comments say what each key does. Comments come in two kinds: prose
 * (`# text`) and examples to uncomment (`#key: value`, `#  nested: value`, no space after `#`).
 * Tests check the file as written and with every example uncommented against the schema.
 */
export const STARTER_CONFIG = `# ditto.yaml: how ditto makes ephemeral copies of a database.
# Every key is optional; the values set below are the defaults, and lines like
# "#key: value" are examples to uncomment. DITTO_<KEY> and DITTO_<SECTION>_<KEY>
# variables override the file (DITTO_RUNTIME=local, DITTO_POOL_SIZE=0).
# Durations are 90s, 15m, 2h, 1d or plain seconds. \`ditto doctor\` checks the setup.

# Where copies run: auto (Docker when an engine answers, else the local PostgreSQL
# server binaries), local, or docker.
runtime: auto

# The database copies run (postgres). Unset: the scheme of source.url, else the dump's
# format, else postgres.
# engine: postgres

# How long a copy lives when \`ditto up --ttl\` is not given.
ttl: 1h

# How long to wait for a new copy to accept connections.
ready_timeout: 60s

dump:
  # The dump every copy starts from (pg_dump -Fc archive or plain SQL), relative to
  # this file. Without one, a copy is an empty database; \`ditto reseed\` makes one.
  #path: ./ditto.dump
  # \`ditto status\` and \`ditto doctor\` call a dump older than this stale.
  stale_threshold: 7d

# Ports copies listen on, on 127.0.0.1 only. Ports other programs hold are skipped.
ports:
  min: 5433
  max: 5600

# Warm copies kept ready, so \`ditto up\` hands one over at once.
pool:
  size: 2
  # With no up for this long, the warm copies are destroyed until the next up.
  idle_ttl: 1h

# The local runtime: PostgreSQL server binaries on this machine, found on PATH, by
# pg_config, or in /usr/lib/postgresql/*/bin.
#local:
#  bin_dir: /usr/lib/postgresql/15/bin
#  user: postgres            # the account servers run as when ditto runs as root
#  data_dir: /var/tmp/ditto  # where copies' data directories live
#  clone: auto               # btrfs, reflink, overlay or copy: how copies are made from a dump's snapshot

# The Docker runtime: the image copies run (default: the official postgres image)
# and the network: bridge (port published on 127.0.0.1), host (the server listens
# on 127.0.0.1:<port>), or auto (bridge when the engine has one, else host).
#copy_image: postgres:16
docker:
  network: auto

# The database \`ditto reseed\` dumps. Secrets can stay out of this file:
# env:NAME reads a variable, file:PATH the first line of a file.
#source:
#  url: env:DITTO_SOURCE_URL

# Columns scrubbed before any copy sees the data (restore, scrub, dump).
#obfuscate:
#  seed: env:DITTO_OBFUSCATE_SEED  # same value, same replacement: joins still hold
#  rules:
#    - { table: customer, column: email, strategy: replace, type: email }
#    - { table: customer, column: last_name, strategy: hash }
#    - { table: payment, column: card_number, strategy: mask, keep: 4 }

# \`ditto host\`: the shared HTTP API other machines call with a bearer token.
#host:
#  listen: 127.0.0.1
#  port: 7433
#  tokens:
#    - { name: ci, token: env:DITTO_CI_TOKEN }
`;

