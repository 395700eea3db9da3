import Docker from 'dockerode';
import type { DumpFile, Endpoint, Engine, ToolRunner } from '../engines/engine.js';
import { firstLine, toolErrorLine } from '../engines/postgres.js';
import { DittoError } from '../errors.js';
import { connectReason, isConnectError, unreachable, type EngineAddress } from './docker-endpoint.js';
import { demuxLogs, execIn } from './docker-io.js';
import type { Runtime, RuntimeSnapshots, StartableCopy } from './runtime.js';

export type NetworkSetting = 'auto' | 'bridge' | 'host';
type NetworkMode = 'bridge' | 'host';

export interface DockerRuntimeOptions {
  engine: Engine;
  address: EngineAddress;
  /** `copy_image`, or the engine's official image. */
  image: string;
  network: NetworkSetting;
  /** Labels this home's containers, so homes sharing an engine never see each other's copies. */
  homeKey: string;
  /** The engine's client binaries on this machine, when there are any. */
  hostBinDir: string | null;
}

export const LABEL_MANAGED = 'ditto.managed';
export const LABEL_COPY_ID = 'ditto.copy_id';
export const LABEL_HOME = 'ditto.home';
export const LABEL_GOLDEN = 'ditto.golden';

/** Where a copy's dump appears inside its container (read-only). */
const DUMP_MOUNT = '/ditto/dump';
const REMOVE_WAIT_MS = 15_000;
/** A clean shutdown checkpoints: a large restored snapshot may take a while to write out. */
const PROMOTE_STOP_S = 120;

export function containerName(copyId: string): string {
  return `ditto-${copyId}`;
}

/** The error dockerode attaches to an engine's non-2xx answer. */
interface EngineError {
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

/** Database servers in containers of a Docker engine, one container per copy, named `ditto-<id>`. */
export class DockerRuntime implements Runtime {
  readonly name = 'docker' as const;
  readonly snapshots: RuntimeSnapshots;
  private readonly docker = new Docker();
  private network: NetworkMode | null = null;

  constructor(private readonly opts: DockerRuntimeOptions) {
    if (opts.network !== 'auto') this.network = opts.network;
    this.snapshots = {
      promote: (copyId, key) => this.promote(copyId, key),
      has: async (key) => this.imageExists(this.goldenImage(key)),
      remove: (key) => this.removeGolden(key),
      list: () => this.listGoldens(),
      flavor: () => this.opts.image,
      cloneMethod: async () => 'image',
    };
  }

  /** Golden images are named per home, so two homes with the same dump never share (or remove) one. */
  private goldenImage(key: string): string {
    return `ditto-golden-${this.opts.homeKey}:${key}`;
  }

  describe(): string {
    const { address, image, network } = this.opts;
    const net = network === 'auto' ? `network ${this.network ?? 'auto'} (bridge if the engine has one, else host)` : `${network} network`;
    return `Docker engine at ${address.display}, image ${image}, ${net}`;
  }

  hostBinDir(): string | null {
    return this.opts.hostBinDir;
  }

  async start(copy: StartableCopy, signal?: AbortSignal, from?: string): Promise<void> {
    const network = await this.networkMode();
    // A clone starts from its golden image, whose data directory is already initialized and restored.
    const image = from ? this.goldenImage(from) : this.opts.image;
    if (!from) await this.ensureImage();
    signal?.throwIfAborted();

    const spec = this.opts.engine.container;
    const settings = { user: copy.user, password: copy.password, database: copy.database, hostPort: network === 'host' ? copy.port : null };
    const inner = `${spec.port}/tcp`;
    const container = await this.call(() =>
      this.docker.createContainer({
        name: containerName(copy.id),
        Image: image,
        Cmd: spec.command(settings),
        Env: Object.entries(spec.env(settings)).map(([k, v]) => `${k}=${v}`),
        Labels: { [LABEL_MANAGED]: 'true', [LABEL_COPY_ID]: copy.id, [LABEL_HOME]: this.opts.homeKey },
        ...(network === 'bridge' ? { ExposedPorts: { [inner]: {} } } : {}),
        HostConfig: {
          NetworkMode: network,
          // Published on loopback only: a copy is never reachable from other machines.
          ...(network === 'bridge' ? { PortBindings: { [inner]: [{ HostIp: '127.0.0.1', HostPort: String(copy.port) }] } } : {}),
          // A mount, not a `Binds` string: a path holding ':' or ',' stays one path.
          Mounts: copy.dumpPath ? [{ Type: 'bind', Source: copy.dumpPath, Target: DUMP_MOUNT, ReadOnly: true }] : [],
          RestartPolicy: { Name: 'no' },
        },
      }),
    );
    signal?.throwIfAborted();
    try {
      await container.start();
    } catch (err) {
      if (isConnectError(err)) throw unreachable(this.opts.address, connectReason(err));
      const message = engineMessage(err);
      // A published port someone else holds: leave the container stopped, so startFailure reports
      // portTaken and the Manager retries on another port.
      if (network === 'bridge' && /port is already allocated|address already in use/i.test(message)) return;
      throw new DittoError('PROVISION_FAILED', `the container of copy ${copy.id} would not start: ${message}`, {
        hint: `check that image ${this.opts.image} runs the ${this.opts.engine.name} server (copy_image in ditto.yaml)`,
      });
    }
  }

  async isRunning(copyId: string): Promise<boolean> {
    const info = await this.inspect(copyId);
    return info?.State.Running === true;
  }

  async startFailure(copyId: string): Promise<{ error: DittoError; portTaken: boolean }> {
    const info = await this.inspect(copyId);
    if (!info) {
      return { error: new DittoError('PROVISION_FAILED', `the container of copy ${copyId} disappeared while starting`), portTaken: false };
    }
    const raw = await this.call(() => this.docker.getContainer(containerName(copyId)).logs({ stdout: true, stderr: true, tail: 200, follow: false }));
    const log = demuxLogs(raw);
    const state = info.State;
    const fatal = log.split('\n').find((line) => /FATAL|PANIC|ERROR/.test(line)) ?? (state.Error || firstLine(log) || 'no log output');
    const portTaken = this.opts.engine.container.portInUse.test(log) || /port is already allocated|address already in use/i.test(state.Error ?? '');
    const how = state.OOMKilled ? 'was killed for lack of memory' : `exited with code ${state.ExitCode}`;
    return {
      error: new DittoError('PROVISION_FAILED', `the database container ${how} while starting: ${fatal.trim()}`, {
        hint: `check that image ${this.opts.image} runs the ${this.opts.engine.name} server like the official image (copy_image in ditto.yaml)`,
      }),
      portTaken,
    };
  }

  tools(copy: StartableCopy): ToolRunner {
    const container = this.docker.getContainer(containerName(copy.id));
    const port = this.opts.engine.container.port;
    const bridged = this.network === 'bridge';
    return {
      run: async (tool, args, env) => {
        const result = await this.call(() => execIn(this.docker, container, [tool, ...args], env));
        if (result.exitCode !== 0) throw new Error(`${tool} exited with ${result.exitCode}: ${toolErrorLine(result.stderr)}`);
      },
      dumpPath: (dump: DumpFile) => {
        // Only the copy's own dump is mounted, at start; any other path does not exist in the container.
        if (dump.path !== copy.dumpPath) throw new DittoError('INTERNAL', `dump ${dump.path} is not mounted in the container of copy ${copy.id}`);
        return DUMP_MOUNT;
      },
      // Inside its own network the server is on the image's port; on the host's, on the copy's.
      endpoint: (e: Endpoint) => (bridged ? { ...e, host: '127.0.0.1', port } : e),
    };
  }

  async remove(copyId: string): Promise<void> {
    const container = this.docker.getContainer(containerName(copyId));
    try {
      // Forced: the copy is thrown away, a clean shutdown would be wasted work. `v` takes the
      // image's anonymous data volume with it.
      await container.remove({ force: true, v: true });
    } catch (err) {
      if (isConnectError(err)) throw unreachable(this.opts.address, connectReason(err));
      const status = (err as EngineError).statusCode;
      if (status === 404) return;
      // 409: another process is removing it already; done when it is gone.
      if (status === 409 && (await this.waitGone(copyId))) return;
      throw new DittoError('INTERNAL', `could not remove container ${containerName(copyId)}: ${engineMessage(err)}`);
    }
  }

  async listResources(): Promise<string[]> {
    const containers = await this.call(() =>
      this.docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=true`, `${LABEL_HOME}=${this.opts.homeKey}`] } }),
    );
    return containers.map((c) => c.Labels[LABEL_COPY_ID]).filter((id): id is string => typeof id === 'string' && id.length > 0);
  }

  async missingPrerequisite(): Promise<string | null> {
    return (await this.imageExists(this.opts.image)) ? null : `image ${this.opts.image} is not on the engine`;
  }

  private async imageExists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (err) {
      if (isConnectError(err)) throw unreachable(this.opts.address, connectReason(err));
      if ((err as EngineError).statusCode === 404) return false;
      throw new DittoError('PROVISION_FAILED', `could not inspect image ${image}: ${engineMessage(err)}`);
    }
  }

  /** Stops the builder's container cleanly and commits it as the golden image; the container goes. */
  private async promote(copyId: string, key: string): Promise<void> {
    const container = this.docker.getContainer(containerName(copyId));
    await this.call(() => container.stop({ t: PROMOTE_STOP_S }));
    const [repo, tag] = this.goldenImage(key).split(':') as [string, string];
    // The builder's password was in its environment: the image keeps none (clones bring their own).
    await this.call(() => container.commit({ repo, tag, changes: [`LABEL ${LABEL_GOLDEN}=${key}`, 'ENV POSTGRES_PASSWORD='] }));
    await this.remove(copyId);
  }

  private async removeGolden(key: string): Promise<void> {
    try {
      await this.docker.getImage(this.goldenImage(key)).remove();
    } catch (err) {
      if (isConnectError(err)) throw unreachable(this.opts.address, connectReason(err));
      // 404: gone already. 409: a container still runs on it; the next collection tries again.
      if ((err as EngineError).statusCode !== 404 && (err as EngineError).statusCode !== 409) throw err;
    }
  }

  private async listGoldens(): Promise<string[]> {
    const images = await this.call(() => this.docker.listImages({ filters: { label: [LABEL_GOLDEN, `${LABEL_HOME}=${this.opts.homeKey}`] } }));
    return images.map((i) => i.Labels?.[LABEL_GOLDEN]).filter((key): key is string => typeof key === 'string' && key.length > 0);
  }

  /** A present image is never pulled; a missing one is, once, and a failed pull names the image. */
  private async ensureImage(): Promise<void> {
    const { image } = this.opts;
    if (await this.imageExists(image)) return;
    try {
      const stream = await this.docker.pull(image);
      const events = await new Promise<{ error?: string }[]>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => (err ? reject(err) : resolve(output)));
      });
      // A pull that fails part-way ends the stream normally and reports the failure as an event.
      const failed = events.find((e) => e.error);
      if (failed) throw new Error(failed.error);
    } catch (err) {
      if (isConnectError(err)) throw unreachable(this.opts.address, connectReason(err));
      throw new DittoError('PROVISION_FAILED', `image ${image} is not on the Docker engine and pulling it failed: ${firstLine(engineMessage(err))}`, {
        hint: `pull or build ${image} on the engine, or set copy_image in ditto.yaml to an image it has`,
      });
    }
  }

  private async networkMode(): Promise<NetworkMode> {
    if (this.network) return this.network;
    try {
      await this.docker.getNetwork('bridge').inspect();
      this.network = 'bridge';
    } catch (err) {
      if (isConnectError(err)) throw unreachable(this.opts.address, connectReason(err));
      if ((err as EngineError).statusCode !== 404) throw new DittoError('RUNTIME_UNAVAILABLE', `could not look up the Docker engine's networks: ${engineMessage(err)}`);
      // An engine started with --bridge=none: containers share the host's network.
      this.network = 'host';
    }
    return this.network;
  }

  private async inspect(copyId: string): Promise<Docker.ContainerInspectInfo | null> {
    try {
      return await this.docker.getContainer(containerName(copyId)).inspect();
    } catch (err) {
      if (isConnectError(err)) throw unreachable(this.opts.address, connectReason(err));
      if ((err as EngineError).statusCode === 404) return null;
      throw err;
    }
  }

  private async waitGone(copyId: string): Promise<boolean> {
    const deadline = Date.now() + REMOVE_WAIT_MS;
    while (Date.now() < deadline) {
      if (!(await this.inspect(copyId))) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  /** Runs an engine call, turning "no engine there" into the one RUNTIME_UNAVAILABLE error. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isConnectError(err)) throw unreachable(this.opts.address, connectReason(err));
      throw err;
    }
  }
}

/** The engine's own words for a failed request, without dockerode's "(HTTP code 404) ..." prefix. */
function engineMessage(err: unknown): string {
  const e = err as EngineError;
  const text = typeof e.json?.message === 'string' ? e.json.message : (e.message ?? String(err));
  return text.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}
