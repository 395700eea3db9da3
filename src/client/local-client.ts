import type { LoadedConfig } from '../config/load.js';
import { Manager } from '../copies/manager.js';
import { PostgresEngine } from '../engines/postgres.js';
import { Runtimes } from '../runtimes/registry.js';
import { CopiesRepo } from '../state/copies-repo.js';
import { GoldensRepo } from '../state/goldens-repo.js';
import { MetaRepo } from '../state/meta-repo.js';
import { openState } from '../state/store.js';
import { ensureMaintainer } from './maintainer-spawn.js';

/**
 * The CopyClient for this machine: a Manager over the state in the configured home. With
 * `spawnMaintainer`, every change to copies makes sure the detached maintainer runs.
 */
export function createLocalClient(loaded: LoadedConfig, actor: string, opts: { spawnMaintainer?: boolean } = {}): Manager {
  const db = openState(loaded.home);
  const engine = new PostgresEngine();
  const manager: Manager = new Manager({
    config: loaded.config,
    home: loaded.home,
    repo: new CopiesRepo(db),
    meta: new MetaRepo(db),
    goldens: new GoldensRepo(db),
    engine,
    runtimes: new Runtimes(loaded.config, loaded.home, engine),
    actor,
    ...(opts.spawnMaintainer ? { onChange: () => ensureMaintainer(manager, loaded.home, loaded.file) } : {}),
  });
  return manager;
}
