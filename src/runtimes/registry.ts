import crypto from 'node:crypto';
import path from 'node:path';
import type { RuntimeName } from '../copies/copy.js';
import type { Config } from '../config/schema.js';
import type { Engine } from '../engines/engine.js';
import { findBinDir } from './local-binaries.js';
import { serverAccount } from './local-user.js';
import { LocalRuntime } from './local.js';
import type { Runtime } from './runtime.js';

export interface RuntimeChoice {
  runtime: Runtime;
  /** Why this runtime, for `ditto status`. */
  reason: string;
}

/**
 * Builds runtimes on first use (a copy is always removed by the runtime that made it, whatever the
 * config says now) and chooses the one new copies use.
 */
export class Runtimes {
  private readonly built = new Map<RuntimeName, Runtime>();

  constructor(
    private readonly config: Config,
    private readonly home: string,
    private readonly engine: Engine,
  ) {}

  get(name: RuntimeName): Runtime {
    let runtime = this.built.get(name);
    if (!runtime) {
      runtime = this.build(name);
      this.built.set(name, runtime);
    }
    return runtime;
  }

  /** The runtime for new copies, and why. */
  async choose(): Promise<RuntimeChoice> {
    const wanted = this.config.runtime;
    if (wanted === 'auto') {
      return { runtime: this.get('local'), reason: 'runtime: auto, and the local runtime is the only one built in' };
    }
    return { runtime: this.get(wanted), reason: `runtime: ${wanted} in config` };
  }

  private build(name: RuntimeName): Runtime {
    switch (name) {
      case 'local':
        return this.buildLocal();
      case 'docker':
        throw new Error('the docker runtime is not available yet');
    }
  }

  private buildLocal(): LocalRuntime {
    const account = serverAccount(this.config.local.user);
    return new LocalRuntime({
      engine: this.engine,
      binDir: findBinDir(this.engine.local.binaries, this.config.local.bin_dir),
      account,
      dataRoot: this.config.local.data_dir ?? defaultDataRoot(this.home, account !== null),
    });
  }
}

/**
 * Copies live under the home, except when servers run as another account: the home is 0700, so
 * they live in /var/tmp/ditto-<hash of home>, where that account can reach its own directory.
 */
export function defaultDataRoot(home: string, otherAccount: boolean): string {
  if (!otherAccount) return path.join(home, 'copies');
  const key = crypto.createHash('sha256').update(home).digest('hex').slice(0, 12);
  return `/var/tmp/ditto-${key}`;
}
