import type { Config } from '../config/schema.js';
import type { Engines } from '../engines/registry.js';
import type { RuntimeSource } from '../runtimes/registry.js';
import { CopiesRepo } from '../state/copies-repo.js';
import { GoldensRepo, type Golden } from '../state/goldens-repo.js';
import { MetaRepo } from '../state/meta-repo.js';
import type { Db } from '../state/store.js';
import type { CopiesContext, Log } from './context.js';
import { Goldens } from './goldens.js';
import { Lifecycle } from './lifecycle.js';
import { NamedCopies } from './named.js';
import { Manager } from './manager.js';
import { Pool } from './pool.js';
import { PortPool } from './port-pool.js';
import { Provisioner } from './provision.js';
import { Reviver } from './revive.js';
import { Upkeep } from './upkeep.js';
import { InPlace } from './in-place.js';
import { TestDatabaseStock } from './test-database-stock.js';
import { loadServing } from './serving.js';
import type { Serving } from '../model/endpoint.js';
import { once } from '../support/once.js';

/** The copies floor over one state connection: the Manager callers use, and the parts ditto's own workers use. */
export interface Copies {
  manager: Manager;
  pool: Pool;
  goldens: Goldens;
  upkeep: Upkeep;
  provisioner: Provisioner;
  /** Leases (the maintainer's, reseed's) and small shared facts. */
  meta: MetaRepo;
  db: Db;
  config: Config;
  home: string;
}

export interface CopiesOptions {
  config: Config;
  home: string;
  db: Db;
  engines: Engines;
  runtimes: RuntimeSource;
  actor: string;
  log: Log;
  /** Shared by every Copies of one process (a host has two), so each golden snapshot is built once. */
  goldenBuilds?: Map<string, Promise<Golden>>;
  dsnHost?: string | null;
  /** How users' copies are served (default: as the config says, see serving.ts). */
  serving?: () => Promise<Serving>;
  onChange?: () => void | Promise<void>;
}

/** Wires the parts of the copies floor together over one state connection; closing the Manager closes the connection. */
export function openCopies(opts: CopiesOptions): Copies {
  const repo = new CopiesRepo(opts.db);
  const meta = new MetaRepo(opts.db);
  const ctx: CopiesContext = {
    config: opts.config,
    home: opts.home,
    repo,
    meta,
    goldens: new GoldensRepo(opts.db),
    ports: new PortPool(repo, opts.config.ports),
    engines: opts.engines,
    runtimes: opts.runtimes,
    actor: opts.actor,
    log: opts.log,
    goldenBuilds: opts.goldenBuilds ?? new Map(),
    dsnHost: opts.dsnHost ?? null,
    serving: opts.serving ?? once(() => loadServing({ config: opts.config, home: opts.home, advertiseHost: opts.dsnHost })),
    onChange: opts.onChange ?? (() => {}),
  };
  const lifecycle = new Lifecycle(ctx);
  const goldens = new Goldens(ctx, lifecycle);
  const provisioner = new Provisioner(ctx, lifecycle, goldens);
  const reviver = new Reviver(ctx, lifecycle);
  const pool = new Pool(ctx, lifecycle, provisioner, reviver);
  const upkeep = new Upkeep(ctx, lifecycle, pool, goldens, new TestDatabaseStock(ctx), reviver);
  const inPlace = new InPlace(ctx, lifecycle);
  const named = new NamedCopies(ctx);
  const manager = new Manager(ctx, { lifecycle, provisioner, pool, upkeep, goldens, inPlace, named }, () => opts.db.close());
  return { manager, pool, goldens, upkeep, provisioner, meta, db: opts.db, config: opts.config, home: opts.home };
}
