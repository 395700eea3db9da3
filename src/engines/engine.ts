import type { EngineName } from '../copies/copy.js';

/** Where and as whom to reach one database server. */
export interface Endpoint {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export type DumpFormat = 'custom' | 'sql';

/** A dump file that has been checked to exist and to look like a dump. */
export interface DumpFile {
  path: string;
  format: DumpFormat;
  size: number;
  modifiedAt: number;
}

/**
 * Runs one of the engine's client tools where the server runs: on this machine for the local
 * runtime, inside the container for Docker. Paths it is given are as the tool sees them.
 */
export interface ToolRunner {
  run(tool: string, args: string[], env: Record<string, string>): Promise<void>;
  /** The dump's path as the tool sees it. */
  dumpPath(dump: DumpFile): string;
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

/** How to run a server of this engine from its own binaries in a data directory. */
export interface LocalServerSpec {
  /** Binaries the local runtime must find, first the ones that prove a server install. */
  binaries: readonly string[];
  /** initdb-style command that creates a data directory whose superuser has `password` in `pwfile`. */
  initCommand(binDir: string, dataDir: string, user: string, pwfile: string): { file: string; args: string[] };
  /** The server command, listening on 127.0.0.1:port only. */
  serverCommand(binDir: string, dataDir: string, port: number): { file: string; args: string[] };
  /** A line of the server's log that means its port was taken by someone else. */
  portInUse: RegExp;
}

/** What a container of this engine is told, for the copy it serves. */
export interface ContainerSettings {
  user: string;
  password: string;
  database: string;
  /**
   * The port to listen on, on 127.0.0.1 only, when the container shares the host's network;
   * null when it has a network of its own and its `port` is published instead.
   */
  hostPort: number | null;
}

/** How to run a server of this engine from an image that behaves like the engine's official one. */
export interface ContainerServerSpec {
  /** The official image copies use when `copy_image` is not set. */
  defaultImage: string;
  /** The port the server listens on inside a container with a network of its own. */
  port: number;
  /**
   * Where the data lives in the container: outside any volume the image declares, so that a
   * container committed as a golden snapshot image carries its data.
   */
  dataDir: string;
  /** Environment that makes the image initialize the copy's database and superuser on first start. */
  env(settings: ContainerSettings): Record<string, string>;
  /** The container's command: the server, with the same disposable-copy settings as the local runtime. */
  command(settings: ContainerSettings): string[];
  /** A line of the server's log that means its port was taken by someone else. */
  portInUse: RegExp;
  /** Client binaries that, found on this machine, check a dump before a container is started for it. */
  hostTools: readonly string[];
}

export interface ReadyOptions {
  timeoutMs: number;
  alive: () => Promise<boolean>;
  signal?: AbortSignal;
  /** Once connected, give the superuser this password (`endpoint` holds the one it has now). */
  newPassword?: string;
}

/** One kind of database: readiness, restore, connection strings. */
export interface Engine {
  readonly name: EngineName;
  readonly defaultUser: string;
  readonly defaultDatabase: string;
  readonly local: LocalServerSpec;
  readonly container: ContainerServerSpec;
  connectionString(endpoint: Endpoint): string;
  /**
   * Resolves once a real connection succeeds and answers a query. Fails early when `alive`
   * reports the server gone, and after `timeoutMs`.
   */
  waitReady(endpoint: Endpoint, opts: ReadyOptions): Promise<void>;
  /** Checks a dump file before anything is provisioned for it. */
  inspectDump(path: string, tools: { binDir: string | null }): Promise<DumpFile>;
  restore(tools: ToolRunner, dump: DumpFile, endpoint: Endpoint): Promise<void>;
  /** The client binary that makes a dump. */
  readonly dumpTool: string;
  /** The command that writes a dump of `source`, in the engine's own archive format, to `out` (as the tool sees it). */
  dumpCommand(source: DumpSource, out: string): ToolCommand;
}
