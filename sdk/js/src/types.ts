/** A copy as ditto describes it (`ditto ls --json`, GET /v2/copies), in camelCase; times are ISO 8601 strings. */
export interface Copy {
  id: string;
  /** pending, creating, ready, destroying, destroyed or failed. */
  status: string;
  warm: boolean;
  /** local or docker (the host's runtime in remote mode). */
  runtime: string;
  host: string;
  port: number | null;
  label: string | null;
  /** Its name (`up({ name })`), unique among its owner's live copies. */
  name: string | null;
  runId: string | null;
  jobName: string | null;
  ttlSeconds: number;
  createdAt: string | null;
  readyAt: string | null;
  expiresAt: string | null;
  destroyedAt: string | null;
  errorMessage: string | null;
  /** The bytes the copy owns on disk (its own writes, not the golden snapshot it shares); null unless the list measured it (`ditto ls --json`). */
  diskBytes: number | null;
}

/** A copy just handed out: with its connection string (which holds its password), and ditto's notes on it. */
export interface IssuedCopy extends Copy {
  connectionString: string;
  notices: string[];
}

/** One step of a copy's life (`ditto logs --json`, GET /v2/copies/{id}/events). */
export interface CopyEvent {
  action: string;
  actor: string;
  metadata: Record<string, unknown>;
  createdAt: string | null;
}

/** What `ditto status` reports, the same in both modes (a field the host keeps from a caller is null). */
export interface Status {
  version: string;
  activeCopies: number;
  provisioningCopies: number;
  warmCopies: number;
  poolTarget: number | null;
  portPoolFree: number;
  portRange: { min: number; max: number } | null;
  /** The host name in a remote host's connection strings; null in local mode. */
  advertiseHost: string | null;
  runtime: { name: string; reason: string; detail: string } | null;
  dump: { path: string | null; ageSeconds: number | null; stale: boolean; staleThresholdSeconds: number } | null;
}

/** What `up` asks for; every field is optional (ditto's config has the defaults). */
export interface UpOptions {
  /** Lifetime: seconds, or a duration such as `90s`, `15m`, `2h`, `1d`. */
  ttl?: number | string | undefined;
  label?: string | undefined;
  /**
   * Your live copy of this name when there is one (its TTL renewed to `ttl`), else a new copy with
   * it: a copy per branch or pull request (`pr-123`). 1-63 letters, digits, `.`, `_`, `-`.
   */
  name?: string | undefined;
  /** A dump to restore instead of the configured one: a path (local mode), an http(s):// or s3:// URL. */
  dump?: string | undefined;
  /** The CI run and job the copy is for; by default from DITTO_RUN_ID/DITTO_JOB_NAME or the CI's own variables. */
  runId?: string | undefined;
  jobName?: string | undefined;
  /** Apply the obfuscation rules of ditto.yaml (the host's, in remote mode) before handing the copy out. */
  obfuscate?: boolean | undefined;
  /** Aborting stops the request; ditto removes the copy it was making. */
  signal?: AbortSignal | undefined;
}

/** Where copies come from. With no `server` (and no DITTO_SERVER), local mode: the `ditto` executable. */
export interface ClientOptions {
  /** A ditto host's URL (remote mode); default: DITTO_SERVER. */
  server?: string | undefined;
  /** The bearer for the host; default: DITTO_TOKEN, else a GitHub Actions OIDC token when the job may ask for one. A function is asked before each request. */
  token?: string | (() => Promise<string>) | undefined;
  /** The `aud` of a GitHub Actions OIDC token; default: DITTO_OIDC_AUDIENCE, else what the host names at GET /v2/oidc. */
  oidcAudience?: string | undefined;
  /** The ditto executable (local mode); default: DITTO_BIN, else `ditto` on PATH. */
  bin?: string | undefined;
  /** Variables to set for the ditto executable besides this process's own (DITTO_HOME, DITTO_CONFIG, ...). */
  env?: Record<string, string | undefined> | undefined;
  /** How long a request to a host may take, in ms (default: 10 minutes for `up`, 1 minute otherwise). */
  timeoutMs?: number | undefined;
}

/** A database made inside a copy for one test (PostgreSQL), cloned from the copy's starting data. */
export interface TestDatabase {
  copyId: string;
  database: string;
  connectionString: string;
}

/** What every mode implements. */
export interface DittoClient {
  readonly mode: 'local' | 'remote';
  up(options?: UpOptions): Promise<IssuedCopy>;
  /** Destroys a copy; a copy already destroyed is no error, an unknown id is NOT_FOUND. */
  down(id: string): Promise<void>;
  /** Destroys your live copy named `name`, if there is one; true when one was destroyed. */
  downNamed(name: string): Promise<boolean>;
  /** The caller's copies that are not over; with `all`, past ones too. */
  list(options?: { all?: boolean }): Promise<Copy[]>;
  events(id: string): Promise<CopyEvent[]>;
  status(): Promise<Status>;
  /** A new database inside copy `id`, for one test (PostgreSQL, MySQL and MariaDB; in milliseconds from the stock). */
  createDatabase(id: string): Promise<TestDatabase>;
  dropDatabase(id: string, database: string): Promise<void>;
  /** The copy's data back as it started; its connection string unchanged. */
  reset(id: string): Promise<IssuedCopy>;
  /** The copy now expires `ttlSeconds` from now. */
  extend(id: string, ttlSeconds: number): Promise<Copy>;
}
