import type { Copy, RuntimeName } from '../copies/copy.js';
import type { ToolRunner } from '../engines/engine.js';
import type { DittoError } from '../errors.js';

/** A copy as a runtime needs it: the port has been leased before the runtime is asked to start it. */
export type StartableCopy = Copy & { port: number };

/**
 * Starts, stops, execs in and lists ditto-managed database servers. Every resource a runtime
 * creates is named after the copy id, so the id alone is enough to find and remove it.
 */
/** How a runtime clones a golden snapshot into a copy, for `ditto status` and the benchmarks. */
export type CloneMethod = 'overlay' | 'reflink' | 'copy' | 'image';

/**
 * Golden snapshots in a runtime: a copy's stopped data turned into a snapshot, and new copies
 * started on a clone of it, so a dump is restored once rather than once per copy.
 */
export interface RuntimeSnapshots {
  /** Stops the copy's server cleanly and keeps its data as snapshot `key`; the copy's other resources go. */
  promote(copyId: string, key: string): Promise<void>;
  has(key: string): Promise<boolean>;
  remove(key: string): Promise<void>;
  list(): Promise<string[]>;
  /** What a snapshot depends on besides the dump (server binaries, image): part of its key. */
  flavor(): string;
  cloneMethod(): Promise<CloneMethod>;
}

export interface Runtime {
  readonly name: RuntimeName;
  /**
   * Creates the copy's resources and starts its server (from a clone of snapshot `from` when
   * given, else an empty one); returns once the server process runs.
   */
  start(copy: StartableCopy, signal?: AbortSignal, from?: string): Promise<void>;
  /**
   * What this runtime lacks to make a copy without fetching anything (an image not on the engine),
   * or null. `runtime: auto` passes over a runtime that lacks something rather than pull.
   */
  missingPrerequisite?(): Promise<string | null>;
  /** Present when this runtime can keep golden snapshots. */
  readonly snapshots?: RuntimeSnapshots;
  /** Whether the copy's server is still running. */
  isRunning(copyId: string): Promise<boolean>;
  /**
   * Why the server stopped, read from its log, as an error to surface. `portTaken` is true when
   * another program took the port after the dial check, so a retry on another port can succeed.
   */
  startFailure(copyId: string): Promise<{ error: DittoError; portTaken: boolean }>;
  /** Runs the engine's client tools beside the copy's server. */
  tools(copy: StartableCopy): ToolRunner;
  /** Stops the server and removes every resource of the copy. Idempotent: missing resources are fine. */
  remove(copyId: string): Promise<void>;
  /** Ids of every copy this runtime holds resources for, tracked or not. */
  listResources(): Promise<string[]>;
  /** The engine's client binaries on this machine, when there are any (to check a dump before starting). */
  hostBinDir(): string | null;
  /** What this runtime is, for `ditto status`. */
  describe(): string;
}
