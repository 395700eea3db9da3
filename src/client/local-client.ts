import type { LoadedConfig } from '../config/load.js';
import { Manager } from '../copies/manager.js';
import { PostgresEngine } from '../engines/postgres.js';
import { Runtimes } from '../runtimes/registry.js';
import { CopiesRepo } from '../state/copies-repo.js';
import { openState } from '../state/store.js';

/** The CopyClient for this machine: a Manager over the state in the configured home. */
export function createLocalClient(loaded: LoadedConfig, actor: string): Manager {
  const repo = new CopiesRepo(openState(loaded.home));
  const engine = new PostgresEngine();
  return new Manager({ config: loaded.config, repo, engine, runtimes: new Runtimes(loaded.config, loaded.home, engine), actor });
}
