import type { Caller } from './caller.js';
import type { Copy, CopyEvent, CopyStatus, EngineName, RuntimeName } from './copy.js';
import type { DbSchema } from './schema.js';
import type { SqlRequest, SqlResult } from './sql.js';

/** What `up` asks for. Every field is optional: config supplies the defaults. */
export interface UpRequest {
  ttlSeconds?: number | undefined;
  label?: string | undefined;
  /** The caller's live copy of this name when there is one (its TTL renewed), else a new copy with it. */
  name?: string | undefined;
  /** A dump to restore instead of the configured one. */
  dumpUri?: string | undefined;
  obfuscate?: boolean | undefined;
  runId?: string | undefined;
  jobName?: string | undefined;
}

/** Who asks, on a shared host: their copies are marked theirs, and they see and destroy only those (unless admin). */
export interface CallOptions {
  caller?: Caller | undefined;
}

export interface UpOptions extends CallOptions {
  /** Called with each step of provisioning, for progress display. */
  onProgress?: (step: string) => void;
  /** Aborting fails the copy being made and removes what was made of it. */
  signal?: AbortSignal | undefined;
  /**
   * The URLs a fetch of `dumpUri` may be redirected to (a host's allow-list for its callers,
   * host.dump_uris); `dumpUri` itself was checked in this form before the call. Anywhere when absent.
   */
  dumpUrls?: { allows(uri: string): boolean } | undefined;
}

/** A copy as clients see it: everything but its password. */
export interface CopyInfo {
  id: string;
  status: CopyStatus;
  warm: boolean;
  runtime: RuntimeName;
  /** The database it runs; null from a host older than this field. */
  engine: EngineName | null;
  host: string;
  port: number | null;
  label: string | null;
  /** Its name (`up --name`), unique among its owner's live copies. */
  name: string | null;
  /** Who holds it on a shared host, with the identity's source (`token:alice`, `oidc:<issuer>#<claim>`); null for local use. */
  owner: string | null;
  runId: string | null;
  jobName: string | null;
  ttlSeconds: number;
  createdAt: number;
  readyAt: number | null;
  expiresAt: number | null;
  destroyedAt: number | null;
  errorMessage: string | null;
  /**
   * The bytes the copy owns on disk (what destroying it frees: its own writes, not the golden
   * snapshot it shares), measured when a list asks for it (`diskBytes`); null when not measured or
   * not measurable.
   */
  diskBytes: number | null;
}

/** A copy handed to its user: with the connection string, and notes worth a line on stderr. */
export interface IssuedCopy extends CopyInfo {
  connectionString: string;
  notices: string[];
}

export interface ListOptions extends CallOptions {
  all?: boolean;
  diskBytes?: boolean;
}

export interface DownSelector {
  ids?: string[];
  all?: boolean;
  label?: string;
  /** The copies made for one CI run (`run_id`). */
  runId?: string;
  /** The caller's own copy of this name (`up --name`). */
  name?: string;
}

/** Whether a selector other than ids names `copy`: every copy, or those of a label or a run. */
export function selects(selector: DownSelector, copy: { label: string | null; runId: string | null; name: string | null }): boolean {
  if (selector.all) return true;
  if (selector.name !== undefined) return copy.name === selector.name;
  if (selector.label !== undefined) return copy.label === selector.label;
  if (selector.runId !== undefined) return copy.runId === selector.runId;
  return false;
}

export interface DownResult {
  destroyed: CopyInfo[];
  /** Ids that were already destroyed or failed: nothing to do. */
  alreadyGone: string[];
}

/** What dump.subset kept of each table, in the plan's order, as the reseed that wrote the dump recorded it. */
export interface DumpSubset {
  tables: { table: string; rows: number; total: number }[];
}

export interface StatusReport {
  version: string;
  runtime: { name: RuntimeName | 'remote'; reason: string; detail: string };
  /** `subset`: what dump.subset kept of it; null for a whole dump (or one ditto did not write). */
  dump: { path: string | null; ageSeconds: number | null; stale: boolean; staleThresholdSeconds: number; subset: DumpSubset | null };
  pool: { ready: number; target: number };
  ports: { min: number; max: number; free: number };
  copies: { active: number; provisioning: number };
  /** With `prepare` configured: the command, how many files its inputs match and their hash, and the snapshot of them (null until built). */
  prepare?: { command: string; files: number; inputsHash: string; snapshot: string | null };
  /** The golden snapshot copies of the current dump are cloned from, and the bytes it takes (null when unknown); null before it is made. */
  golden?: { key: string; bytes: number | null } | null;
}

/**
 * What every command asks of ditto. The local Manager and the HTTP client both implement it, so a
 * command behaves the same against this machine or a shared host.
 */
/** A database made inside a copy for one test (`ditto db new`). */
export interface TestDatabase {
  copyId: string;
  database: string;
  connectionString: string;
}

export interface CopyClient {
  up(request: UpRequest, options?: UpOptions): Promise<IssuedCopy>;
  down(selector: DownSelector, options?: CallOptions): Promise<DownResult>;
  /** The copy expires `ttlSeconds` from now. */
  extend(id: string, ttlSeconds: number, options?: CallOptions): Promise<CopyInfo>;
  /** The copy's data back as it started; its connection string unchanged. */
  reset(id: string, options?: UpOptions): Promise<IssuedCopy>;
  createDatabase(id: string, options?: CallOptions): Promise<TestDatabase>;
  dropDatabase(id: string, name: string, options?: CallOptions): Promise<void>;
  /** Runs a statement or script on the copy (or a database in it) within `request.limits`; a database error is the server's own words (SQL_ERROR). */
  sql(id: string, request: SqlRequest, options?: CallOptions & { signal?: AbortSignal | undefined }): Promise<SqlResult>;
  /** The tables, columns and keys of the copy (or a database in it), as `ditto erd` reads them. */
  schema(id: string, options?: CallOptions & { database?: string | undefined }): Promise<DbSchema>;
  /** `diskBytes`: measure each copy's own bytes on disk (a walk of its files), as `ls` shows them. */
  list(options?: ListOptions): Promise<CopyInfo[]>;
  events(id: string, options?: CallOptions): Promise<CopyEvent[]>;
  status(options?: CallOptions): Promise<StatusReport>;
  close(): Promise<void>;
}

/** The fields of a copy its clients see, as its record keeps them: every CopyInfo field but the measured ones, once (the check below keeps it so). */
export const COPY_INFO_FIELDS = [
  'id', 'status', 'warm', 'runtime', 'engine', 'host', 'port', 'label', 'name', 'owner', 'runId', 'jobName',
  'ttlSeconds', 'createdAt', 'readyAt', 'expiresAt', 'destroyedAt', 'errorMessage',
] as const satisfies readonly (keyof CopyInfo)[];
// A CopyInfo field left out of the list fails to compile here.
export const _everyInfoField: Record<Exclude<keyof CopyInfo, (typeof COPY_INFO_FIELDS)[number] | 'diskBytes'>, never> = {};

/** A copy as its clients see it: everything but its password and ditto's own bookkeeping; its disk bytes not measured. */
export function toInfo(copy: Copy): CopyInfo {
  return { ...(Object.fromEntries(COPY_INFO_FIELDS.map((field) => [field, copy[field]])) as unknown as CopyInfo), diskBytes: null };
}
