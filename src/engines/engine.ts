import type { ObfuscationRule } from '../config/schema.js';
import type { SubsetConfig } from '../config/subset-schema.js';
import type { EngineName } from '../model/copy.js';
import type { Credentials, Endpoint, Serving } from '../model/endpoint.js';
import type { DbSchema } from '../model/schema.js';
import type { SqlRequest, SqlResultSet } from '../model/sql.js';
import type { SubsetReport } from './subset-plan.js';

/** A dump file that has been checked to exist and to look like a dump of its engine. */
export interface DumpFile {
  path: string;
  /** The engine's own name for the format (`custom`, `sql`, ...), for messages and restore. */
  format: string;
  /** The format as people call it (`pg_dump archive`, `SQL`), for `doctor`. */
  kind: string;
  size: number;
  modifiedAt: number;
}

/** How one run of a tool ended: the one shape every ToolRunner returns. */
export interface ToolResult {
  /** Null when it was ended by a signal. */
  exitCode: number | null;
  signal: string | null;
  /** The tail of what it wrote on stderr, where its error is. */
  stderr: string;
}

/**
 * Runs one of the engine's client tools where it can reach the server: on this machine, inside the
 * copy's container, or in a helper container. Paths it is given are as the tool sees them.
 * Aborting `signal` stops the tool; the result then says how it ended.
 */
export interface ToolRunOptions {
  signal?: AbortSignal | undefined;
  /** What the tool reads on stdin: a stream made on this machine (a dump, decompressed on the way). */
  input?: (() => NodeJS.ReadableStream) | undefined;
}

export interface ToolRunner {
  run(tool: string, args: string[], env: Record<string, string>, opts?: ToolRunOptions): Promise<ToolResult>;
  /** A dump file's path (one being read or written) as the tool sees it. */
  dumpPath(file: string): string;
  /**
   * The server's endpoint as the tool sees it, when that differs from the client's (inside a
   * bridge-networked container the server is on its own port, not the published one).
   */
  endpoint?(endpoint: Endpoint): Endpoint;
}

/** One run of a client tool: which, with what arguments and environment. */
export interface ToolCommand {
  tool: string;
  args: string[];
  env: Record<string, string>;
}

/** A database to dump: its URL without the password, and the password (given to the tool through its environment). */
export interface DumpSource {
  url: string;
  password: string | null;
}

/** What a runtime needs to know to run a server of this engine from its own binaries. */
export interface LocalServerSpec {
  /** Binaries that prove a server install, found by `findBinDir`. */
  binaries: readonly string[];
  /** The directory holding `binaries` (default: the server's): local.bin_dir, PATH, then the engine's usual places. */
  findBinDir(configured: string | undefined, binaries?: readonly string[]): string;
  /** The account servers run as when ditto is root (the engine's servers refuse root). */
  account: string;
  /**
   * The command that creates a data directory whose superuser has `credentials`; `dir` is the
   * copy's directory. `files` are written there (mode 0600, the servers' account's) before it
   * runs and removed after: secrets go through them, never argv.
   */
  initCommand(binDir: string, dataDir: string, credentials: Credentials, dir: string): { file: string; args: string[]; files: Record<string, string> };
  /**
   * The server command, listening on `serving.listen` and `port` only; `dir` is the copy's own
   * directory (sockets, pid files), where the engine's `serverFiles` are.
   */
  serverCommand(binDir: string, dataDir: string, port: number, dir: string, serving: Serving): { file: string; args: string[] };
  /** Signals that stop a server: at once (the copy is thrown away), and cleanly (its data is kept). */
  stopSignals: { now: NodeJS.Signals; clean: NodeJS.Signals };
  /** A name every complete data directory holds: without it, a copy's data is gone. */
  dataMarker: string;
  /**
   * Files a killed server leaves in `dataDir` or `dir` that could stop the next one from starting
   * (a lock naming its pid, which after a reboot may be another process's): removed before a
   * restart, once no server of the copy runs.
   */
  lockFiles(dataDir: string, dir: string): string[];
}

/** What a container of this engine is told, for the copy it serves. */
export interface ContainerSettings extends Credentials {
  /**
   * The port to listen on, on `listen` only, when the container shares the host's network; null
   * when it has a network of its own and its `port` is published instead.
   */
  hostPort: number | null;
  listen: string;
  /** Accept TLS connections only, with the certificate in `ContainerServerSpec.filesDir`. */
  tls: boolean;
}

/** How to run a server of this engine from an image that behaves like the engine's official one. */
export interface ContainerServerSpec {
  /** The official image copies use when `copy_image` is not set. */
  defaultImage: string;
  /** The port the server listens on inside a container with a network of its own. */
  port: number;
  /**
   * Where the data lives in the container: outside any volume the image declares, so a committed
   * golden image carries it; or where a block-level clone is bind-mounted, which the image's
   * entrypoint (as root) gives to its server account when it is empty, as the official images do.
   */
  dataDir: string;
  /** Where the engine's `serverFiles` are put in the container (outside its data: a committed golden image has none). */
  filesDir: string;
  /** The account the image's server runs as, which owns those files (a key must be private to it). */
  serverUid: number;
  /** Environment that makes the image initialize the copy's database and superuser on first start. */
  env(settings: ContainerSettings): Record<string, string>;
  /** Variables of `env` that hold a password: a committed golden image keeps none of them. */
  secretEnv: readonly string[];
  /** The container's command: the server, with the same disposable-copy settings as the local runtime. */
  command(settings: ContainerSettings): string[];
  /** Client binaries that, found on this machine, check a dump before a container is started for it. */
  hostTools: readonly string[];
}

export interface ReadyOptions {
  timeoutMs: number;
  alive: () => Promise<boolean>;
  signal?: AbortSignal | undefined;
  /** Once connected, give the superuser this password (`credentials` hold the one it has now). */
  newPassword?: string | undefined;
}

/**
 * Databases cloned inside a running copy from a pristine template of its data, one per test: the
 * engine connects to the copy as its superuser to make them.
 */
export interface TestDatabases {
  /**
   * Keeps a template of `database` as it is now, which nobody connects to: when the copy's data
   * is made, and again after it is scrubbed (a template of the raw rows is replaced).
   */
  seal(database: string): Promise<void>;
  /**
   * A new database: a clone from the stock renamed, or else cloned from the template now; its
   * name. `database` is one to connect to meanwhile.
   */
  create(database: string): Promise<{ name: string; fromStock: boolean }>;
  /**
   * Clones the template ahead into the stock until it holds `count`, or as many as fit in
   * `maxBytes` of data in all; how many it made.
   */
  stock(database: string, want: { count: number; maxBytes: number }): Promise<number>;
  /** Drops a database `create` made. */
  drop(database: string, name: string): Promise<void>;
}

/**
 * How a database ditto does not own (a target: staging) gets a dump's contents in place of its
 * own, all or nothing.
 */
export interface TargetRestore {
  /** The client binaries it runs, found on this machine. */
  tools: readonly string[];
  /** How it keeps the target whole, for the plan a refresh shows before it is confirmed. */
  how: string;
  /**
   * Replaces everything in the database at `target` with what `dump` holds; when it fails, the
   * target is as it was. `work` is a private directory for files it makes on the way.
   */
  replace(tools: ToolRunner, dump: DumpFile, target: DumpSource, work: string, signal?: AbortSignal): Promise<void>;
}

/** A subset of a source to take (dump.subset). */
export interface SubsetRun {
  /** The source's URL, password and all, for ditto's own session. */
  url: string;
  /** The same for the dump tool, its password apart. */
  source: DumpSource;
  config: NonNullable<SubsetConfig>;
  /** Where to write the dump, with `tools` running the dump tool (for the schema); null: count only. */
  out: { file: string; tools: ToolRunner } | null;
  /** Tables whose rows the dump leaves out (dump.exclude_table_data). */
  excludeTableData: readonly string[];
  signal?: AbortSignal | undefined;
}

/** What a scrub changed. */
export interface ScrubReport {
  tables: number;
  columns: number;
  /** Rules marked warn_only that matched no rows. */
  warnings: string[];
}

/**
 * One kind of database, all of it: its servers (local and in containers), readiness, its log,
 * dumps and restores, connection strings, source URLs, and its SQL dialect for obfuscation.
 * Runtimes, copies and reseed know a database only through this.
 */
export interface Engine {
  readonly name: EngineName;
  /** URL schemes of its connection strings and sources (postgresql://). */
  readonly schemes: readonly string[];
  readonly defaultUser: string;
  readonly defaultDatabase: string;
  readonly local: LocalServerSpec;
  readonly container: ContainerServerSpec;
  connectionString(endpoint: Endpoint, credentials: Credentials): string;
  /**
   * Files the server reads besides its data, by name: its TLS certificate and key, PostgreSQL's
   * access rules. A runtime writes them, private to the server's account, where the server
   * command expects them (the copy's directory, the container's `filesDir`).
   */
  serverFiles(serving: Serving): Record<string, string>;
  /** Resolves once a real connection answers a query. Fails early when `alive` says the server is gone, and after `timeoutMs`. */
  waitReady(endpoint: Endpoint, credentials: Credentials, opts: ReadyOptions): Promise<void>;
  /** Why a server stopped while starting, read from its log; `portTaken` when another program took its port. */
  startFailure(log: string): { message: string; portTaken: boolean };
  /**
   * Whether `text` (a tool's stderr, the server's log, an error it sent) says the disk is full, in
   * this database's words as well as the operating system's.
   */
  diskFull(text: string): boolean;
  /** Whether the first bytes of a file are one of this engine's dumps (to infer the engine from a dump). */
  claimsDump(head: Buffer): boolean;
  /** Checks a dump file before anything is provisioned for it. */
  inspectDump(path: string, tools: { binDir: string | null }): Promise<DumpFile>;
  /** Restores `dump` into the copy; resolves to the database it filled when that is not `credentials.database` (a dump that creates its own). */
  restore(tools: ToolRunner, dump: DumpFile, endpoint: Endpoint, credentials: Credentials, signal?: AbortSignal): Promise<string | null>;
  /** The client binary that makes a dump, and the prefix of its error lines (left out of messages). */
  readonly dumpTool: string;
  readonly dumpToolPrefix: RegExp;
  /** The command that writes a dump of `source`, in the engine's own format, to `out` (as the tool sees it); `excludeTableData`: tables whose schema is kept and rows are not. */
  dumpCommand(source: DumpSource, out: string, opts: { excludeTableData: readonly string[] }): ToolCommand;
  /**
   * Takes a subset of a live source in one snapshot (rows chosen, kept and streamed in the source,
   * never held here): a dump `restore` loads, and what it kept of each table. Absent where the
   * engine cannot.
   */
  subset?(run: SubsetRun): Promise<SubsetReport>;
  /** Connects to `url` and runs a query; rejects with the reason it could not. */
  probe(url: string, timeoutMs: number): Promise<void>;
  /** A source URL split for the dump tool: the password goes through its environment, never argv. */
  parseSource(url: string): DumpSource;
  /** Per-test databases in the copy at `endpoint`. */
  testDatabases(endpoint: Endpoint, credentials: Credentials): TestDatabases;
  /**
   * The tables, columns and keys of the database at `url` (a copy's connection string, or a
   * source's), from its catalogue. A URL rather than an endpoint: a source is known only by one.
   */
  schemaOf(url: string): Promise<DbSchema>;
  /**
   * Runs a caller's statement or script on the database `credentials` name, within the request's
   * caps; the server cancels what outruns its timeout. A refusal of the server is a SQL_ERROR in its words.
   */
  runSql(endpoint: Endpoint, credentials: Credentials, request: SqlRequest, signal?: AbortSignal): Promise<SqlResultSet[]>;
  /** Refreshing targets: how a database's contents are replaced all or nothing. */
  readonly targetRestore: TargetRestore;
  /**
   * Does in a golden snapshot's builder, before its clean stop, the work its data would leave to
   * every copy cloned from it: written once there rather than into each copy's clone (a first
   * write to a file copies all of it on overlay). Absent where the clean stop does it all.
   */
  settle?(endpoint: Endpoint, credentials: Credentials): Promise<void>;
  /** Applies obfuscation rules to the database in place, checking every rule before anything is written. */
  scrub(endpoint: Endpoint, credentials: Credentials, rules: ObfuscationRule[], seed: string, signal?: AbortSignal): Promise<ScrubReport>;
}
