import type { Engine, ToolRunner } from '../engines/engine.js';
import type { DittoError } from '../errors.js';
import type { RuntimeName } from '../model/copy.js';
import type { Credentials, Endpoint, Serving } from '../model/endpoint.js';

/** How a runtime clones a golden snapshot into a copy, for `ditto status` and the benchmarks. */
export type CloneMethod = 'btrfs' | 'reflink' | 'overlay' | 'copy' | 'image';

/** Where a runtime writes copies' data: a directory on this machine, or a place known by name; and how to move it. */
export interface Storage {
  dir: string | null;
  place?: string;
  /** Besides freeing space: the setting that puts the data on a larger disk. */
  remedy: string;
}

/** What a runtime is asked to start: a server of `engine` for one copy, on a port leased for it. */
export interface StartRequest {
  copyId: string;
  engine: Engine;
  port: number;
  credentials: Credentials;
  /** Where the server listens, and the certificate it presents if it takes TLS connections only. */
  serving: Serving;
  /** The dump the copy restores, made readable where its tools run. */
  dumpPath: string | null;
  /** Start on a clone of this golden snapshot instead of an empty database. */
  from?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * What a runtime is asked to start again: a copy whose server stopped (killed, or the machine
 * restarted), from the copy's own data, as it was started: same port, same settings and files.
 */
export interface RestartRequest {
  copyId: string;
  engine: Engine;
  /** The golden snapshot it was cloned from: an overlay clone's lower layer, mounted again first. */
  from: string | null;
  signal?: AbortSignal | undefined;
}

/**
 * Golden snapshots in a runtime: a copy's stopped data turned into a snapshot, and new copies
 * started on a clone of it, so a dump is restored once rather than once per copy.
 */
export interface RuntimeSnapshots {
  /** Stops the copy's server cleanly and keeps its data as snapshot `key`; the copy's other resources go. */
  promote(copyId: string, key: string, engine: Engine): Promise<void>;
  has(key: string): Promise<boolean>;
  remove(key: string): Promise<void>;
  list(): Promise<string[]>;
  /** The bytes a snapshot takes, as far as the runtime can tell (what a clone of it may need); null when unknown. */
  size(key: string): Promise<number | null>;
  /** What a snapshot of `engine` depends on besides the dump (server binaries, image): part of its key. */
  flavor(engine: Engine): string;
  /** How copies are cloned here, and why (`status`, `doctor`). */
  cloneMethod(): Promise<{ method: CloneMethod; why: string }>;
}

/** What a runtime holds for ditto homes that are gone (the rule: home-mark.ts). */
export interface GoneHomeLeftover {
  /** What it is, for a person: `data directory /var/tmp/ditto-...`, `image ditto-golden-...`, `container ditto-...`. */
  what: string;
  /** The homes it was made for (a data directory may be shared by several). */
  homes: string[];
  /** The disk it takes, where known. */
  bytes: number | null;
}

/**
 * Starts, stops, execs in and lists ditto-managed database servers, of any engine: what is
 * particular to a database comes from the Engine it is handed. Every resource a runtime creates
 * is named after the copy id, so the id alone is enough to find and remove it.
 */
export interface Runtime {
  readonly name: RuntimeName;
  /** Throws the reason this runtime cannot run `engine` here (no binaries), before anything is made. */
  check(engine: Engine): Promise<void>;
  /**
   * What this runtime lacks to make a copy of `engine` without fetching anything (an image not on
   * the engine), or null. `runtime: auto` passes over a runtime that lacks something rather than pull.
   */
  missingPrerequisite?(engine: Engine): Promise<string | null>;
  /** Creates the copy's resources and starts its server; resolves, once the server process runs, to where this machine reaches it. */
  start(request: StartRequest): Promise<Endpoint>;
  /** Where copies' data is written, for the error of a full disk (support/no-space.ts). */
  readonly storage: Storage;
  /** Present when this runtime can keep golden snapshots. */
  readonly snapshots?: RuntimeSnapshots;
  /** Whether the copy's server is still running. */
  isRunning(copyId: string): Promise<boolean>;
  /** Which of these copies' servers run, asked in one look (every command asks it of every ready copy). */
  running(copyIds: readonly string[]): Promise<Set<string>>;
  /**
   * Starts a stopped copy's server again from its own resources; resolves once the server process
   * runs (at once if it already does), saying whether an overlay clone had to be mounted again
   * first (the machine restarted). Throws NOT_FOUND when its data is gone (the directory or
   * container removed, the snapshot under an overlay clone gone): nothing is left to start.
   */
  restart(request: RestartRequest): Promise<{ remounted: boolean }>;
  /**
   * Why the server stopped (or, asked while it runs, what its log says is wrong), read from its log
   * by the engine, as an error to surface: NO_SPACE when the log says the disk is full. `portTaken`
   * is true when another program took the port after the dial check, so another port may work.
   */
  startFailure(copyId: string, engine: Engine): Promise<{ error: DittoError; portTaken: boolean }>;
  /** Runs the engine's client tools beside the copy's server (its dump readable to them). */
  tools(copyId: string, engine: Engine, dumpPath: string | null): ToolRunner;
  /** Stops the server and removes every resource of the copy. Idempotent: missing resources are fine. */
  remove(copyId: string): Promise<void>;
  /**
   * Stops the server and moves the copy's resources aside, so a new server can take its id and
   * port at once (a reset); `gone` settles once they are removed. Without it, `remove` does. What
   * a crash leaves aside is found by `listResources` under an id no record has.
   */
  retire?(copyId: string): Promise<{ gone: Promise<void> }>;
  /**
   * The bytes each copy owns on disk, what removing it would free (a clone's own writes, not the
   * snapshot it shares), measured in one pass; null for a copy that cannot be measured.
   */
  copyBytes?(copyIds: readonly string[]): Promise<Map<string, number | null>>;
  /** Ids of every copy this runtime holds resources for, tracked or not. */
  listResources(): Promise<string[]>;
  /** A throwaway container of `image` that runs one of its tools with `file` mounted: present where the runtime has containers. */
  helperTools?(image: string, file: string): ToolRunner;
  /** Removes helper resources (dump containers) whose making process died; returns their names. */
  sweepHelpers?(): Promise<string[]>;
  /** What is left of homes that are gone: data directories, containers, golden images, with their sizes. */
  goneHomes?(): Promise<GoneHomeLeftover[]>;
  /** Removes what is left of homes that are gone (servers, mounts, directories, containers, images); returns what went. */
  sweepGoneHomes?(): Promise<GoneHomeLeftover[]>;
  /** The engine's client binaries on this machine, when there are any (to check a dump before starting). */
  hostBinDir(engine: Engine): string | null;
  /** What this runtime is, for `ditto status`. */
  describe(engine: Engine): string;
}
