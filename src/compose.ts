import path from 'node:path';
import { ensureMaintainer } from './client/maintainer-spawn.js';
import type { LoadedConfig } from './config/locate.js';
import type { Log } from './copies/context.js';
import { openCopies, type Copies } from './copies/house.js';
import { Engines } from './engines/registry.js';
import { ensureStorageMounted, Runtimes } from './runtimes/registry.js';
import type { HostHouse } from './server/host.js';
import type { Golden } from './state/goldens-repo.js';
import { openState } from './state/store.js';
import { fileLog } from './support/file-log.js';
import type { Serving } from './model/endpoint.js';

/**
 * The one composition root: config -> engines, runtimes, state -> the copies floor. The CLI, the
 * host and `doctor` build what they use here, and nowhere else.
 */

/** What one process shares between its state connections: engines, runtimes, and golden builds under way. */
export interface Shared {
  loaded: LoadedConfig;
  engines: Engines;
  runtimes: Runtimes;
  goldenBuilds: Map<string, Promise<Golden>>;
}

export function composeShared(loaded: LoadedConfig): Shared {
  return { loaded, engines: new Engines(), runtimes: new Runtimes(loaded.config, loaded.home), goldenBuilds: new Map() };
}

export interface OpenOptions {
  /** Who acts, in the events: `cli`, `maintainer`, `host`. */
  actor: string;
  /** Changes to copies make sure the detached maintainer runs (the CLI's commands). */
  spawnMaintainer?: boolean;
  /** Where what is handled without failing goes; default: <home>/logs/ditto.log. */
  log?: Log;
  /** The host name in connection strings (a shared host's advertise_host). */
  dsnHost?: string | null;
  /** How users' copies are served, when the caller decides it (a host, for both its state connections). */
  serving?: () => Promise<Serving>;
}

/** The copies floor of this home over a state connection of its own. */
export function openHome(shared: Shared, opts: OpenOptions): Copies {
  const { config, home, file } = shared.loaded;
  // After a reboot the data directory's storage image is mounted again before anything is written there.
  ensureStorageMounted(home);
  const copies: Copies = openCopies({
    config,
    home,
    db: openState(home),
    engines: shared.engines,
    runtimes: shared.runtimes,
    goldenBuilds: shared.goldenBuilds,
    actor: opts.actor,
    log: opts.log ?? fileLog(path.join(home, 'logs', 'ditto.log'), { pid: process.pid, actor: opts.actor }),
    dsnHost: opts.dsnHost ?? null,
    ...(opts.serving ? { serving: opts.serving } : {}),
    ...(opts.spawnMaintainer ? { onChange: () => ensureMaintainer(copies, file) } : {}),
  });
  return copies;
}

/** The copies floor of the configured home, for one command. */
export function openLocal(loaded: LoadedConfig, opts: OpenOptions): Copies {
  return openHome(composeShared(loaded), opts);
}

/** What `ditto host` runs on: the copies floor over connections of its own, sharing engines, runtimes and golden builds. */
export function composeHost(loaded: LoadedConfig): HostHouse {
  const shared = composeShared(loaded);
  return { engines: shared.engines, runtimes: shared.runtimes, open: (opts) => openHome(shared, opts) };
}
