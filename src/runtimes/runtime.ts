import type { Copy, RuntimeName } from '../copies/copy.js';
import type { ToolRunner } from '../engines/engine.js';
import type { DittoError } from '../errors.js';

/** A copy as a runtime needs it: the port has been leased before the runtime is asked to start it. */
export type StartableCopy = Copy & { port: number };

/**
 * Starts, stops, execs in and lists ditto-managed database servers. Every resource a runtime
 * creates is named after the copy id, so the id alone is enough to find and remove it.
 */
export interface Runtime {
  readonly name: RuntimeName;
  /** Creates the copy's resources and starts its server; returns once the server process runs. */
  start(copy: StartableCopy, signal?: AbortSignal): Promise<void>;
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
