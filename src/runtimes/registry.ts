import type { RuntimeName } from '../model/copy.js';
import type { Config } from '../config/schema.js';
import { findBinDirOrNull } from '../engines/bin-dirs.js';
import type { Engine } from '../engines/engine.js';
import { DittoError } from '../errors.js';
import { engineAddress, probeEngine, unreachable } from './docker/docker-endpoint.js';
import { defaultLocalRoot } from './local/data-dirs.js';
import { LocalRuntime, type LocalRuntimeOptions } from './local/local-runtime.js';
import type { Runtime } from './runtime.js';

export { homeKey } from './home-mark.js';
export { defaultLocalRoot };
export { ensureStorageMounted } from './local/storage-image.js';

export interface RuntimeChoice {
  runtime: Runtime;
  /** Why this runtime, for `ditto status`. */
  reason: string;
}

/** `runtime: auto` asks on every `ditto up`: an engine on a local socket answers in a millisecond or two. */
const AUTO_PROBE_MS = 400;
/** `runtime: docker` was asked for: give a slow or remote engine more time before calling it unreachable. */
const EXPLICIT_PROBE_MS = 5000;

/** Where the copies floor gets its runtimes: the one that made a copy, and the one new copies of an engine use. */
export interface RuntimeSource {
  get(name: RuntimeName): Promise<Runtime>;
  choose(engine: Engine): Promise<RuntimeChoice>;
}

/**
 * Builds runtimes on first use (a copy is always removed by the runtime that made it, whatever the
 * config says now) and chooses the one new copies of an engine use.
 */
export class Runtimes implements RuntimeSource {
  private readonly built = new Map<RuntimeName, Promise<Runtime>>();

  constructor(
    private readonly config: Config,
    private readonly home: string,
  ) {}

  get(name: RuntimeName): Promise<Runtime> {
    let runtime = this.built.get(name);
    if (!runtime) {
      runtime = this.build(name);
      // A failed build (dockerode missing) is not remembered: the next call reports it afresh.
      runtime.catch(() => this.built.delete(name));
      this.built.set(name, runtime);
    }
    return runtime;
  }

  /** The runtime for new copies of `engine`, and why. */
  async choose(engine: Engine): Promise<RuntimeChoice> {
    const wanted = this.config.runtime;
    const address = engineAddress();
    if (wanted === 'auto') {
      const probe = await probeEngine(address, AUTO_PROBE_MS);
      let noDocker: string;
      if (!probe.ok) noDocker = `no Docker engine at ${address.display}: ${probe.reason}`;
      else {
        const docker = await this.get('docker');
        // auto never pulls: a default image the engine lacks means the local runtime, which needs nothing fetched.
        const missing = (await docker.missingPrerequisite?.(engine)) ?? null;
        if (missing === null) return { runtime: docker, reason: `runtime: auto; the Docker engine answered at ${address.display}` };
        noDocker = `the Docker engine at ${address.display} answered, but ${missing} (set copy_image, or runtime: docker to pull it)`;
      }
      const local = await this.get('local');
      try {
        await local.check(engine);
      } catch (err) {
        if (!(err instanceof DittoError)) throw err;
        throw new DittoError('RUNTIME_UNAVAILABLE', `no runtime: ${noDocker}, and ${err.message}`, {
          hint: `start a Docker engine (or set DOCKER_HOST), or install ${engine.name} server binaries`,
        });
      }
      return { runtime: local, reason: `runtime: auto; ${noDocker}; using local` };
    }
    if (wanted === 'docker') {
      // Checked before a copy is recorded, so an absent engine leaves no failed copy or port lease behind.
      const probe = await probeEngine(address, EXPLICIT_PROBE_MS);
      if (!probe.ok) throw unreachable(address, probe.reason);
    }
    const runtime = await this.get(wanted);
    await runtime.check(engine);
    return { runtime, reason: `runtime: ${wanted} in config` };
  }

  private async build(name: RuntimeName): Promise<Runtime> {
    const { config, home } = this;
    switch (name) {
      case 'local':
        return new LocalRuntime(localOptions(config, home));
      case 'docker': {
        // Loaded on first use only: dockerode and its dependencies cost ~150 ms to load.
        const { DockerRuntime } = await import('./docker/docker-runtime.js');
        return new DockerRuntime({
          address: engineAddress(),
          image: (engine) => imageFor(config, engine),
          network: config.docker.network,
          home,
          hostBinDir: (engine) => findBinDirOrNull(() => engine.local.findBinDir(config.local.bin_dir, engine.container.hostTools)),
          clones: { root: localRoot(config, home), clone: config.local.clone },
        });
      }
    }
  }
}

function localOptions(config: Config, home: string): LocalRuntimeOptions {
  return { binDir: config.local.bin_dir, user: config.local.user, root: localRoot(config, home), clone: config.local.clone, home };
}

/** Where the local runtime of `home` keeps copies and golden snapshots: local.data_dir, else the default. */
export function localRoot(config: Config, home: string): string {
  return config.local.data_dir ?? defaultLocalRoot(home, process.getuid?.() === 0);
}

/** Stops every server of the local runtime of `home` and removes all its copies and snapshots (`ditto storage remove --force`). */
export function clearLocalData(config: Config, home: string): Promise<void> {
  return new LocalRuntime(localOptions(config, home)).removeAll();
}

/** The image copies of `engine` run: copy_image when it is for that engine (the configured one), else the official image. */
export function imageFor(config: Config, engine: Engine): string {
  const forEngine = config.engine === undefined || config.engine === engine.name;
  return (forEngine ? config.copy_image : undefined) ?? engine.container.defaultImage;
}
