/**
 * Schema versions, applied in order; PRAGMA user_version records how many ran. Never edit a
 * released entry: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE copies (
    id            TEXT PRIMARY KEY,
    status        TEXT NOT NULL CHECK (status IN ('pending','creating','ready','destroying','destroyed','failed')),
    warm          INTEGER NOT NULL DEFAULT 0,
    runtime       TEXT NOT NULL,
    engine        TEXT NOT NULL,
    host          TEXT NOT NULL,
    port          INTEGER,
    user          TEXT NOT NULL,
    password      TEXT NOT NULL,
    database      TEXT NOT NULL,
    label         TEXT,
    owner         TEXT,
    run_id        TEXT,
    job_name      TEXT,
    ttl_seconds   INTEGER NOT NULL,
    dump_path     TEXT,
    -- Which requests a warm copy can serve: same runtime setting, engine and dump.
    pool_key      TEXT,
    -- The waiting process an in-flight warm copy is promised to (its driver identity).
    reserved_by   TEXT,
    -- The golden snapshot it was cloned from: a snapshot in use is never removed.
    golden_key    TEXT,
    -- 'copy' for the copies users get; 'golden' for a builder whose data becomes a golden snapshot.
    purpose       TEXT NOT NULL DEFAULT 'copy' CHECK (purpose IN ('copy','golden')),
    created_at    INTEGER NOT NULL,
    ready_at      INTEGER,
    claimed_at    INTEGER,
    expires_at    INTEGER,
    destroyed_at  INTEGER,
    driver        TEXT,
    driver_host   TEXT,
    error_message TEXT
  );
  CREATE INDEX copies_status ON copies (status);
  CREATE INDEX copies_expires ON copies (expires_at) WHERE status = 'ready';
  CREATE INDEX copies_pool ON copies (pool_key, status) WHERE warm = 1;

  CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    copy_id    TEXT NOT NULL,
    action     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    metadata   TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
  );
  CREATE INDEX events_copy ON events (copy_id, id);

  -- A port is leased to one copy from before its server starts until its resources are gone;
  -- the primary key is what makes two concurrent ditto processes unable to share a port.
  CREATE TABLE port_leases (
    port      INTEGER PRIMARY KEY,
    copy_id   TEXT NOT NULL,
    leased_at INTEGER NOT NULL
  );
  CREATE INDEX port_leases_copy ON port_leases (copy_id);

  -- Named leases held by one live process: the pool maintainer's.
  CREATE TABLE leases (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    host         TEXT NOT NULL,
    heartbeat_at INTEGER NOT NULL
  );

  -- Golden snapshots: a dump restored once, that copies are cloned from.
  CREATE TABLE goldens (
    key        TEXT PRIMARY KEY,
    runtime    TEXT NOT NULL,
    engine     TEXT NOT NULL,
    dump_path  TEXT,
    user       TEXT NOT NULL,
    password   TEXT NOT NULL,
    database   TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  `
  -- Copies served over TLS only (host.copy_tls): 'require' or 'verify-full'.
  ALTER TABLE copies ADD COLUMN tls TEXT;
  -- Copies scrubbed as they were made (up --obfuscate): a reset scrubs again.
  ALTER TABLE copies ADD COLUMN obfuscated INTEGER NOT NULL DEFAULT 0;
  `,
  `
  -- Owners carry their source (token:<name>, oidc:<issuer>#<claim>): a JWT claim can no longer
  -- name a static token's owner. Copies made before were a token's (OIDC callers' expire by TTL).
  UPDATE copies SET owner = 'token:' || owner WHERE owner IS NOT NULL;
  `,
  `
  -- Named copies (up --name): a caller's live copy of a name is one at most, whoever races for it.
  -- Owner NULL (local use) is one owner: coalesce, since a unique index holds NULLs distinct.
  -- A copy being destroyed, failed or destroyed frees its name.
  ALTER TABLE copies ADD COLUMN name TEXT;
  CREATE UNIQUE INDEX copies_owner_name ON copies (coalesce(owner, ''), name)
    WHERE name IS NOT NULL AND status IN ('pending','creating','ready');
  `,
];
