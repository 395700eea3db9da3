import { currentDumpPath } from '../dump/location.js';
import type { DumpFile, Engine } from '../engines/engine.js';
import type { IssuedCopy, UpOptions } from '../model/copy-client.js';
import type { Copy } from '../model/copy.js';
import type { Credentials, Endpoint } from '../model/endpoint.js';
import type { Runtime } from '../runtimes/runtime.js';
import type { CopiesContext } from './context.js';
import type { Goldens } from './goldens.js';
import { GoldenGone, credentialsOf, endpointOf, type Act, type CopyFields, type Lifecycle } from './lifecycle.js';

/** A copy for ditto's own work, with where and as whom its tools reach it. */
export type ScratchCopy = IssuedCopy & { endpoint: Endpoint; credentials: Credentials };

/** Makes new copies: the dump checked first, then a clone of its golden snapshot where the runtime keeps them, else a restore. */
export class Provisioner {
  constructor(
    private readonly ctx: CopiesContext,
    private readonly lifecycle: Lifecycle,
    private readonly goldens: Goldens,
  ) {}

  /** The dump copies start from now: dump.path, or the one `ditto reseed` made under the home. */
  currentDump(): string | null {
    return currentDumpPath(this.ctx.config, this.ctx.home);
  }

  async checkDump(runtime: Runtime, engine: Engine, dumpPath: string | null, act: Act): Promise<DumpFile | null> {
    if (!dumpPath) return null;
    act.onProgress?.('Checking the dump');
    return engine.inspectDump(dumpPath, { binDir: runtime.hostBinDir(engine) });
  }

  /** `direct`: restored into the copy itself, never through a golden snapshot (the dump may hold raw data). */
  async make(runtime: Runtime, engine: Engine, fields: CopyFields, dump: DumpFile | null, act: Act, opts: { direct?: boolean } = {}): Promise<Copy> {
    const cloned = runtime.snapshots && this.ctx.config.dump.golden && !opts.direct;
    for (let attempt = 1; ; attempt++) {
      const golden = cloned ? await this.goldens.ensure(runtime, engine, dump, act) : null;
      try {
        return await this.lifecycle.provision(runtime, engine, fields, dump, golden, act);
      } catch (err) {
        // The maintainer collected the snapshot between ensure() and the copy's record: made again once.
        if (!(err instanceof GoldenGone) || attempt > 1) throw err;
      }
    }
  }

  /**
   * A copy of `dumpPath` for ditto's own work (reseed: restore, scrub, dump): restored directly,
   * never from or into a golden snapshot or the pool, since the dump may hold raw data. The caller
   * destroys it; its TTL removes it if the caller dies first.
   */
  async scratch(engine: Engine, dumpPath: string, ttlSeconds: number, options: UpOptions = {}): Promise<ScratchCopy> {
    const act: Act = { ...options, actor: this.ctx.actor };
    const { runtime } = await this.ctx.runtimes.choose(engine);
    const dump = await this.checkDump(runtime, engine, dumpPath, act);
    const fields: CopyFields = { ttl: ttlSeconds, label: 'reseed scratch', name: null, owner: null, runId: null, jobName: null, poolKey: null, warm: false, internal: true };
    try {
      const copy = await this.make(runtime, engine, fields, dump, act, { direct: true });
      return { ...this.lifecycle.issue(copy, []), endpoint: endpointOf(copy), credentials: credentialsOf(copy) };
    } finally {
      await this.ctx.onChange();
    }
  }
}
