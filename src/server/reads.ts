import type { CopyInfo } from '../model/copy-client.js';
import type { Config } from '../config/schema.js';
import type { Copy, CopyEvent } from '../model/copy.js';
import { lookupCopy } from '../copies/access.js';
import { visibleOwner, type Caller } from '../model/caller.js';
import { toInfo } from '../model/copy-client.js';
import { PortPool } from '../copies/port-pool.js';
import { CopiesRepo } from '../state/copies-repo.js';
import { MetaRepo, type Lease } from '../state/meta-repo.js';
import type { StateMirror } from '../state/mirror.js';

export interface Counts {
  /** Claimed and ready. */
  active: number;
  warm: number;
  provisioning: number;
  destroying: number;
  portsFree: number;
}

/**
 * The host's read endpoints, answered from the state mirror rather than the file: a fresh
 * snapshot per call, with the same owner scoping the Manager applies to writes.
 */
export class MirrorReads {
  constructor(
    private readonly mirror: StateMirror,
    private readonly config: Config,
  ) {}

  async list(caller: Caller, all: boolean): Promise<CopyInfo[]> {
    const repo = await this.repo();
    return repo.list({ includeFinal: all, owner: visibleOwner(caller), usersOnly: true }).map(toInfo);
  }

  async get(caller: Caller, id: string): Promise<CopyInfo> {
    return toInfo(lookupCopy(await this.repo(), id, caller));
  }

  /** The whole record, password included: for what the host hands the copy's caller itself (its connection string). */
  async record(caller: Caller, id: string): Promise<Copy> {
    return lookupCopy(await this.repo(), id, caller);
  }

  async events(caller: Caller, id: string): Promise<CopyEvent[]> {
    const repo = await this.repo();
    return repo.events(lookupCopy(repo, id, caller).id);
  }

  /** Figures over every copy, or over `caller`'s own when it is not an admin; warm copies and free ports are the host's. */
  async counts(caller?: Caller): Promise<Counts> {
    const repo = await this.repo();
    const all = repo.list();
    const owner = visibleOwner(caller);
    const copies = owner === null ? all : all.filter((c) => c.owner === owner || c.warm);
    const count = (test: (c: (typeof copies)[number]) => boolean) => copies.filter(test).length;
    return {
      active: count((c) => c.status === 'ready' && !c.warm),
      warm: count((c) => c.status === 'ready' && c.warm),
      provisioning: count((c) => c.status === 'pending' || c.status === 'creating'),
      destroying: count((c) => c.status === 'destroying'),
      portsFree: new PortPool(repo, this.config.ports).freeCount(),
    };
  }

  async lease(name: string): Promise<Lease | undefined> {
    return new MetaRepo(await this.mirror.snapshot()).lease(name);
  }

  private async repo(): Promise<CopiesRepo> {
    return new CopiesRepo(await this.mirror.snapshot());
  }
}
