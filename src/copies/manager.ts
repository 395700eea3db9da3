import { recordedSubset } from '../dump/identity.js';
import { dumpFreshness, staleDumpNotice } from '../dump/location.js';
import { resolveDump } from '../dump/sources.js';
import { obfuscationPlan } from '../engines/obfuscation-plan.js';
import { DittoError } from '../errors.js';
import { visibleOwner } from '../model/caller.js';
import {
  toInfo,
  selects,
  type CallOptions,
  type CopyClient,
  type CopyInfo,
  type DownResult,
  type DownSelector,
  type IssuedCopy,
  type ListOptions,
  type StatusReport,
  type TestDatabase,
  type UpOptions,
  type UpRequest,
} from '../model/copy-client.js';
import { isFinal, type Copy, type CopyEvent } from '../model/copy.js';
import type { DbSchema } from '../model/schema.js';
import type { SqlRequest, SqlResult } from '../model/sql.js';
import { VERSION } from '../version.js';
import { lookupCopy } from './access.js';
import { actorOf, type CopiesContext } from './context.js';
import type { Act, Lifecycle } from './lifecycle.js';
import type { Pool } from './pool.js';
import type { Provisioner } from './provision.js';
import type { Upkeep } from './upkeep.js';
import type { Goldens } from './goldens.js';
import type { InPlace } from './in-place.js';
import { checkTtl } from './ttl-policy.js';
import { withDiskBytes } from './disk-bytes.js';
import { checkPrintable } from '../support/printable.js';
import { checkCopyName } from '../model/copy-name.js';
import { formatDuration } from '../config/duration.js';
import { NameTaken, type Claim } from '../state/copies-repo.js';
import type { NamedCopies } from './named.js';

const NO_DUMP_NOTICE = 'no dump configured: this copy is an empty database; run `ditto reseed --source URL` (or set dump.path) to give copies your data';

/**
 * The CopyClient of this machine (or of a host, for its callers): what a command asks, decided
 * here over the parts of the copies floor. Each call says who asks (`caller`); without one, it is
 * this machine's user, who sees every copy.
 */
export class Manager implements CopyClient {
  constructor(
    private readonly ctx: CopiesContext,
    private readonly parts: { lifecycle: Lifecycle; provisioner: Provisioner; pool: Pool; upkeep: Upkeep; goldens: Goldens; inPlace: InPlace; named: NamedCopies },
    private readonly onClose: () => void,
  ) {}

  async up(request: UpRequest, options: UpOptions = {}): Promise<IssuedCopy> {
    const { ctx } = this;
    const act: Act = { ...options, actor: actorOf(ctx, options.caller) };
    // What a caller names is printed later (ls, logs, a host's dashboard): refused now if it could steer a terminal.
    for (const [field, value] of [['label', request.label], ['run_id', request.runId], ['job_name', request.jobName], ['dump_uri', request.dumpUri]] as const) checkPrintable(field, value);
    const name = request.name === undefined ? null : checkCopyName(request.name);
    await this.parts.upkeep.heal();
    const claim: Claim = {
      ttl: checkTtl(ctx.config, request.ttlSeconds ?? ctx.config.ttl),
      label: request.label ?? null,
      name,
      owner: options.caller?.owner ?? null,
      runId: request.runId ?? null,
      jobName: request.jobName ?? null,
    };
    try {
      // A name taken by another request between the look and our claim (NameTaken): its copy is ours to hand back.
      for (let attempt = 1; ; attempt++) {
        try {
          if (name !== null) {
            const held = await this.parts.named.renew(claim.owner, name, claim.ttl, act);
            if (held) return this.parts.lifecycle.issue(held, [`copy ${held.id} named ${name} was live: the same copy, now expiring in ${formatDuration(claim.ttl)}`]);
          }
          return await this.issueNew(request, claim, act);
        } catch (err) {
          if (!(err instanceof NameTaken) || attempt >= 3) throw err;
        }
      }
    } finally {
      await ctx.onChange();
    }
  }

  /** A copy for `up` from the pool, or made now. */
  private async issueNew(request: UpRequest, claim: Claim, act: Act): Promise<IssuedCopy> {
    const { ctx } = this;
    const { lifecycle, provisioner, pool } = this.parts;
    const engine = ctx.engines.current(ctx.config);
    const dumpPath = request.dumpUri ? await resolveDump(request.dumpUri, { config: ctx.config, home: ctx.home, engine, signal: act.signal, allowed: act.dumpUrls }) : provisioner.currentDump();
    // An obfuscated copy is scrubbed as it is made: a warm copy (unscrubbed) never serves it. The
    // rules and seed are checked now, before anything is made for the request.
    const obfuscate = request.obfuscate === true;
    if (obfuscate) obfuscationPlan(ctx.config, { required: true });
    const poolKey = await pool.key(engine, dumpPath);
    let copy = obfuscate ? undefined : await pool.claim(poolKey, claim, act.actor);
    if (!copy && !obfuscate) copy = await pool.awaitInFlight(poolKey, claim, act);
    if (!copy) {
      const { runtime } = await ctx.runtimes.choose(engine);
      const dump = await provisioner.checkDump(runtime, engine, dumpPath, act);
      copy = await provisioner.make(runtime, engine, { ...claim, poolKey, warm: false, obfuscate }, dump, act);
    }
    // Only a request that got its copy counts as demand: a bad one must not set the pool filling.
    pool.markDemand();
    act.onProgress?.('Ready');
    const stale = staleDumpNotice(ctx.config, request.dumpUri ? null : dumpPath);
    return lifecycle.issue(copy, dumpPath ? (stale ? [stale] : []) : [NO_DUMP_NOTICE]);
  }

  async down(selector: DownSelector, options: CallOptions = {}): Promise<DownResult> {
    const { ctx } = this;
    await this.parts.upkeep.heal();
    const targets: Copy[] = [];
    const alreadyGone: string[] = [];
    if (selector.ids?.length) {
      // Resolve every id before destroying any, so a typo destroys nothing.
      for (const id of selector.ids) {
        const copy = lookupCopy(ctx.repo, id, options.caller);
        if (isFinal(copy.status)) alreadyGone.push(copy.id);
        else targets.push(copy);
      }
    } else if (selector.name !== undefined) {
      // A name is the caller's own, even an admin's: names are per owner.
      const owner = options.caller?.owner ?? null;
      const named = ctx.repo.liveNamed(owner, checkCopyName(selector.name));
      if (named) targets.push(named);
    } else if (selector.all || selector.label !== undefined || selector.runId !== undefined) {
      // `down --all` on this machine means done for now: the pool is not refilled until the next up,
      // so nothing is left running. (A caller of a shared host only ever clears its own copies.)
      if (selector.all && !options.caller) this.parts.pool.pause();
      for (const copy of ctx.repo.list({ owner: visibleOwner(options.caller), usersOnly: true })) {
        if (selects(selector, copy)) targets.push(copy);
      }
    } else {
      throw new DittoError('BAD_INPUT', 'name the copies to destroy', { hint: 'give ids, --all, --label L, --run-id ID or --name NAME' });
    }
    try {
      return { destroyed: (await this.parts.lifecycle.destroyAll(targets, 'destroyed', actorOf(ctx, options.caller))).map(toInfo), alreadyGone };
    } finally {
      await ctx.onChange();
    }
  }

  async list(options: ListOptions = {}): Promise<CopyInfo[]> {
    await this.parts.upkeep.heal();
    const copies = this.ctx.repo.list({ includeFinal: options.all ?? false, owner: visibleOwner(options.caller), usersOnly: true }).map(toInfo);
    return options.diskBytes ? withDiskBytes(this.ctx.runtimes, copies) : copies;
  }

  async events(id: string, options: CallOptions = {}): Promise<CopyEvent[]> {
    return this.ctx.repo.events(lookupCopy(this.ctx.repo, id, options.caller).id);
  }

  async status(): Promise<StatusReport> {
    const { ctx } = this;
    const engine = ctx.engines.current(ctx.config);
    const choice = await ctx.runtimes.choose(engine);
    const copies = ctx.repo.list();
    const pool = await this.parts.pool.report();
    return {
      version: VERSION,
      runtime: { name: choice.runtime.name, reason: choice.reason, detail: choice.runtime.describe(engine) },
      dump: { ...dumpFreshness(ctx.config, this.parts.provisioner.currentDump()), subset: recordedSubset(this.parts.provisioner.currentDump(), ctx.home) },
      pool: { ready: pool.ready, target: pool.target },
      ports: { min: ctx.config.ports.min, max: ctx.config.ports.max, free: ctx.ports.freeCount() },
      copies: {
        active: copies.filter((c) => c.status === 'ready' && !c.warm).length,
        provisioning: copies.filter((c) => c.status === 'pending' || c.status === 'creating').length,
      },
      ...(await this.parts.goldens.preparedReport(choice.runtime, engine, this.parts.provisioner.currentDump())),
      golden: await this.parts.goldens.current(choice.runtime, engine, this.parts.provisioner.currentDump()),
    };
  }

  async extend(id: string, ttlSeconds: number, options: CallOptions = {}): Promise<CopyInfo> {
    await this.parts.upkeep.heal();
    return this.parts.inPlace.extend(id, ttlSeconds, options);
  }

  async reset(id: string, options: UpOptions = {}): Promise<IssuedCopy> {
    await this.parts.upkeep.heal();
    try {
      return await this.parts.inPlace.reset(id, options);
    } finally {
      await this.ctx.onChange();
    }
  }

  async createDatabase(id: string, options: CallOptions = {}): Promise<TestDatabase> {
    return this.parts.inPlace.createDatabase(id, options);
  }

  async dropDatabase(id: string, name: string, options: CallOptions = {}): Promise<void> {
    return this.parts.inPlace.dropDatabase(id, name, options);
  }

  async sql(id: string, request: SqlRequest, options: CallOptions & { signal?: AbortSignal | undefined } = {}): Promise<SqlResult> {
    return this.parts.inPlace.sql(id, request, options);
  }

  async schema(id: string, options: CallOptions & { database?: string | undefined } = {}): Promise<DbSchema> {
    return this.parts.inPlace.schema(id, options);
  }

  async close(): Promise<void> {
    this.onClose();
  }
}
