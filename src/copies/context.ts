import type { Config } from '../config/schema.js';
import type { Engines } from '../engines/registry.js';
import type { Caller } from '../model/caller.js';
import type { RuntimeName } from '../model/copy.js';
import type { Serving } from '../model/endpoint.js';
import type { RuntimeSource } from '../runtimes/registry.js';
import type { CopiesRepo } from '../state/copies-repo.js';
import type { Golden, GoldensRepo } from '../state/goldens-repo.js';
import type { MetaRepo } from '../state/meta-repo.js';
import type { PortPool } from './port-pool.js';

/** A line for the log: what happened, and its fields (never a password or token). */
export type Log = (message: string, fields?: Record<string, unknown>) => void;

/**
 * What every part of the copies floor shares: the config, the state's repositories, the engines
 * and runtimes, who acts, and a log for what a part handles without failing (a heal that could
 * not remove a server, a failed copy's cleanup).
 */
export interface CopiesContext {
  config: Config;
  /** The ditto home: where the default dump and the download cache live. */
  home: string;
  repo: CopiesRepo;
  meta: MetaRepo;
  goldens: GoldensRepo;
  ports: PortPool;
  engines: Engines;
  runtimes: RuntimeSource;
  /** Who acts, for the events log: `cli`, `maintainer`, `host`; a host's caller acts as `host:<name>`. */
  actor: string;
  log: Log;
  /** Golden snapshot builds under way in this process: shared by every context of a host, so each snapshot is built once. */
  goldenBuilds: Map<string, Promise<Golden>>;
  /** The host name connection strings carry, when not the server's own address (a shared host's advertise_host). */
  dsnHost: string | null;
  /** Where and how users' copies are served (host.copy_listen, host.copy_tls); loaded once, when first needed. */
  serving: () => Promise<Serving>;
  /** Called after a command changed copies (the local client starts the maintainer here). */
  onChange: () => void | Promise<void>;
}

/** The actor of a call: the caller on a shared host, else the context's own. */
export function actorOf(ctx: CopiesContext, caller: Caller | null | undefined): string {
  return caller ? `host:${caller.owner}` : ctx.actor;
}

/** The last time anyone asked for a copy; the pool drains once this is older than pool.idle_ttl. */
export const LAST_DEMAND_KEY = 'last_demand_at';

/** The ids of `copies` by the runtime each runs on: a runtime is then asked once for all of its own. */
export function idsByRuntime(copies: readonly { id: string; runtime: RuntimeName }[]): Map<RuntimeName, string[]> {
  const byRuntime = new Map<RuntimeName, string[]>();
  for (const copy of copies) byRuntime.set(copy.runtime, [...(byRuntime.get(copy.runtime) ?? []), copy.id]);
  return byRuntime;
}

/** Runtimes that may hold this home's resources: any a record names, and any the config may pick. */
export function runtimesInUse(ctx: CopiesContext): RuntimeName[] {
  const names = new Set<RuntimeName>(ctx.repo.list({ includeFinal: true }).map((c) => c.runtime));
  if (ctx.config.runtime === 'auto') names.add('local').add('docker');
  else names.add(ctx.config.runtime);
  return [...names];
}
