import fs from 'node:fs';
import Docker from 'dockerode';
import type { Engine, ToolRunner } from '../../engines/engine.js';
import { DittoError } from '../../errors.js';
import { localAddress, type Endpoint } from '../../model/endpoint.js';
import { firstLine } from '../../support/text.js';
import { connectReason, isConnectError, unreachable, type EngineAddress } from './docker-endpoint.js';
import { engineCall, engineMessage, type EngineError } from './engine-call.js';
import { BlockClones, type BlockClonesOptions } from './block-clones.js';
import { dockerGoldens } from './goldens.js';
import { Images } from './images.js';
import { copyTools, DUMP_MOUNT } from './copy-tools.js';
import { demuxLogs, putFiles } from './docker-io.js';
import { GoneHomeResources } from './gone-homes.js';
import { HelperContainers } from './helper-containers.js';
import { homeLabels, LABEL_COPY_ID, LABEL_HOME, LABEL_MANAGED } from './labels.js';
import { homeKey } from '../home-mark.js';
import type { GoneHomeLeftover, RestartRequest, Runtime, RuntimeSnapshots, StartRequest, Storage } from '../runtime.js';

export type NetworkSetting = 'auto' | 'bridge' | 'host';
type NetworkMode = 'bridge' | 'host';

export interface DockerRuntimeOptions {
  address: EngineAddress;
  /** The image copies of `engine` run: `copy_image`, or the engine's official image. */
  image: (engine: Engine) => string;
  network: NetworkSetting;
  /** The ditto home: its containers and images carry its key, so homes sharing an engine never see each other's copies, and its mark. */
  home: string;
  /** The engine's client binaries on this machine, when there are any. */
  hostBinDir: (engine: Engine) => string | null;
  /** The data directory, where copies run on block-level clones when it has them. */
  clones: Omit<BlockClonesOptions, 'home'>;
}

/** A published port someone else holds. */
const PORT_ALLOCATED = /port is already allocated|address already in use/i;
const REMOVE_WAIT_MS = 15_000;
/** A clean shutdown checkpoints: a large restored snapshot may take a while to write out. */
const PROMOTE_STOP_S = 120;

export function containerName(copyId: string): string {
  return `ditto-${copyId}`;
}

/** Database servers in containers of a Docker engine, one container per copy, named `ditto-<id>`. */
export class DockerRuntime implements Runtime {
  readonly name = 'docker' as const;
  readonly snapshots: RuntimeSnapshots;
  private readonly docker = new Docker();
  private network: NetworkMode | null = null;
  private readonly helpers: HelperContainers;
  private readonly images: Images;
  private readonly goneHomeResources: GoneHomeResources;
  private readonly clones: BlockClones;
  /** The labels of this home's copy containers, to list them by. */
  private readonly homeFilter: string[];
  private readonly call: <T>(fn: () => Promise<T>) => Promise<T>;

  constructor(private readonly opts: DockerRuntimeOptions) {
    if (opts.network !== 'auto') this.network = opts.network;
    this.call = (fn) => engineCall(opts.address, fn);
    const key = homeKey(opts.home);
    this.homeFilter = [`${LABEL_MANAGED}=true`, `${LABEL_HOME}=${key}`];
    this.helpers = new HelperContainers(this.docker, opts.address, opts.home);
    this.images = new Images(this.docker, opts.address, key);
    this.goneHomeResources = new GoneHomeResources(this.docker, opts.address);
    this.clones = new BlockClones({ ...opts.clones, home: opts.home });
    this.snapshots = dockerGoldens(this.images, this.clones, (copyId, key, engine) => this.promote(copyId, key, engine), (engine) => this.opts.image(engine));
  }

  get storage(): Storage {
    if (this.clones.active) return { dir: this.clones.root, remedy: 'set local.data_dir to a directory on a larger disk' };
    return { dir: null, place: "the Docker engine's storage", remedy: 'remove images and containers you do not need (docker system prune), or give the Docker engine a larger disk' };
  }

  async check(): Promise<void> {}

  /** A throwaway container of `image` that runs one of its tools with `file` mounted (dumps of a source or a scratch copy). */
  helperTools(image: string, file: string): ToolRunner {
    return this.helpers.tools(image, file);
  }

  async sweepHelpers(): Promise<string[]> {
    return this.helpers.sweep();
  }

  describe(engine: Engine): string {
    const { address, network } = this.opts;
    const net = network === 'auto' ? `network ${this.network ?? 'auto'} (bridge if the engine has one, else host)` : `${network} network`;
    const data = this.clones.active ? `; copies cloned by ${this.clones.describe().why}` : '';
    return `Docker engine at ${address.display}, image ${this.opts.image(engine)}, ${net}${data}`;
  }

  hostBinDir(engine: Engine): string | null {
    return this.opts.hostBinDir(engine);
  }

  async start(req: StartRequest): Promise<Endpoint> {
    const { copyId, engine, signal, from } = req;
    const network = await this.networkMode();
    const clones = this.clones.active;
    const base = this.opts.image(engine);
    // A clone starts from its golden snapshot, whose data directory is already initialized and
    // restored: a committed image, or a directory whose block-level clone is mounted.
    const image = from && !clones ? this.images.golden(from) : base;
    if (image === base) await this.images.ensure(image);
    const data = clones ? await this.clones.prepare(copyId, from ?? null) : null;
    signal?.throwIfAborted();

    const spec = engine.container;
    const { listen, tls } = req.serving;
    const settings = { ...req.credentials, hostPort: network === 'host' ? req.port : null, listen, tls: tls !== null };
    const inner = `${spec.port}/tcp`;
    const container = await this.call(() =>
      this.docker.createContainer({
        name: containerName(copyId),
        Image: image,
        Cmd: spec.command(settings),
        Env: Object.entries(spec.env(settings)).map(([k, v]) => `${k}=${v}`),
        Labels: { ...homeLabels(this.opts.home), [LABEL_COPY_ID]: copyId },
        ...(network === 'bridge' ? { ExposedPorts: { [inner]: {} } } : {}),
        HostConfig: {
          NetworkMode: network,
          // Published only where copies are served (loopback unless a host serves other machines).
          ...(network === 'bridge' ? { PortBindings: { [inner]: [{ HostIp: listen, HostPort: String(req.port) }] } } : {}),
          // A mount, not a `Binds` string: a path holding ':' or ',' stays one path.
          Mounts: [
            ...(data ? [{ Type: 'bind' as const, Source: data, Target: spec.dataDir }] : []),
            ...(req.dumpPath ? [{ Type: 'bind' as const, Source: req.dumpPath, Target: DUMP_MOUNT, ReadOnly: true }] : []),
          ],
          RestartPolicy: { Name: 'no' },
        },
      }),
    );
    const files = engine.serverFiles(req.serving);
    if (Object.keys(files).length > 0) await this.call(() => putFiles(container, spec.filesDir, files, spec.serverUid));
    signal?.throwIfAborted();
    await this.startContainer(container, copyId, image, engine);
    // Published where copies are served (bridge), or listening there itself (host network).
    return { host: localAddress(listen), port: req.port };
  }

  /** The copy's container started again: its data, command, files and port are the container's own. */
  async restart(req: RestartRequest): Promise<{ remounted: boolean }> {
    const info = await this.inspect(req.copyId);
    if (!info) throw new DittoError('NOT_FOUND', 'its container is gone');
    const clone = info.Mounts.find((m) => m.Type === 'bind' && m.Destination === req.engine.container.dataDir);
    if (clone && !fs.existsSync(clone.Source)) throw new DittoError('NOT_FOUND', 'its data directory is gone');
    if (!info.State.Running) await this.startContainer(this.docker.getContainer(containerName(req.copyId)), req.copyId, info.Config.Image, req.engine);
    return { remounted: false };
  }

  private async startContainer(container: Docker.Container, copyId: string, image: string, engine: Engine): Promise<void> {
    try {
      await container.start();
    } catch (err) {
      if (isConnectError(err)) throw unreachable(this.opts.address, connectReason(err));
      const message = engineMessage(err);
      // A published port someone else holds: leave the container stopped, so startFailure reports
      // portTaken (a new copy then tries another port; a restarted one fails).
      if (!PORT_ALLOCATED.test(message)) {
        throw new DittoError('PROVISION_FAILED', `the container of copy ${copyId} would not start: ${message}`, {
          hint: `check that image ${image} runs the ${engine.name} server (copy_image in ditto.yaml)`,
        });
      }
    }
  }

  async isRunning(copyId: string): Promise<boolean> {
    const info = await this.inspect(copyId);
    return info?.State.Running === true;
  }

  async running(copyIds: readonly string[]): Promise<Set<string>> {
    if (copyIds.length === 0) return new Set();
    // A paused container's server is there, only frozen: not one to start again.
    const running = new Set(await this.listCopyIds({ status: ['running', 'paused'] }));
    return new Set(copyIds.filter((id) => running.has(id)));
  }

  async startFailure(copyId: string, engine: Engine): Promise<{ error: DittoError; portTaken: boolean }> {
    const info = await this.inspect(copyId);
    if (!info) {
      return { error: new DittoError('PROVISION_FAILED', `the container of copy ${copyId} disappeared while starting`), portTaken: false };
    }
    // The log of its last start only: a restarted container's log holds what its killed server wrote too.
    const since = Math.max(0, Math.floor(Date.parse(info.State.StartedAt) / 1000) || 0);
    const raw = await this.call(() => this.docker.getContainer(containerName(copyId)).logs({ stdout: true, stderr: true, tail: 200, follow: false, since }));
    const log = demuxLogs(raw);
    const state = info.State;
    const read = engine.startFailure(log);
    const fatal = read.message || state.Error || firstLine(log) || 'no log output';
    const portTaken = read.portTaken || PORT_ALLOCATED.test(state.Error ?? '');
    const how = state.OOMKilled ? 'was killed for lack of memory' : `exited with code ${state.ExitCode}`;
    return {
      error: new DittoError(engine.diskFull(log) ? 'NO_SPACE' : 'PROVISION_FAILED', `the database container ${how} while starting: ${fatal.trim()}`, {
        hint: `check that image ${info.Config.Image} runs the ${engine.name} server like the official image (copy_image in ditto.yaml)`,
      }),
      portTaken,
    };
  }

  tools(copyId: string, engine: Engine, dumpPath: string | null): ToolRunner {
    const container = this.docker.getContainer(containerName(copyId));
    return copyTools(this.docker, container, { copyId, dumpPath, innerPort: engine.container.port, bridged: this.network === 'bridge', call: this.call });
  }

  async remove(copyId: string): Promise<void> {
    await this.removeContainer(copyId);
    await this.clones.remove(copyId);
  }

  private async removeContainer(copyId: string): Promise<void> {
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

  /** A copy owns its container's writable layer (SizeRw), over the golden image it shares, and its clone's own blocks. */
  async copyBytes(copyIds: readonly string[]): Promise<Map<string, number | null>> {
    if (copyIds.length === 0) return new Map();
    // One listing with sizes: the engine walks each container's layer, so it is asked only when a size is wanted.
    const containers = await this.call(() => this.docker.listContainers({ all: true, size: true, filters: { label: this.homeFilter } }));
    const layers = new Map(containers.map((c) => [c.Labels[LABEL_COPY_ID], (c as { SizeRw?: number }).SizeRw ?? null]));
    const sizes = new Map<string, number | null>();
    // One after another, as the local runtime's: each clone is a walk and filefrag runs.
    for (const id of copyIds) {
      const layer = layers.get(id) ?? null;
      const clone = await this.clones.ownBytes(id);
      sizes.set(id, clone === null ? layer : clone + (layer ?? 0));
    }
    return sizes;
  }

  /** Copies with a container or a clone: a crash may leave either without the other. */
  async listResources(): Promise<string[]> {
    return [...new Set([...(await this.listCopyIds({})), ...this.clones.listCopies()])];
  }

  /** The copy ids of this home's containers that pass `filters` (running ones, say), in one call. */
  private async listCopyIds(filters: Record<string, string[]>): Promise<string[]> {
    const containers = await this.call(() =>
      this.docker.listContainers({ all: true, filters: { ...filters, label: this.homeFilter } }),
    );
    return containers.map((c) => c.Labels[LABEL_COPY_ID]).filter((id): id is string => typeof id === 'string' && id.length > 0);
  }

  goneHomes(): Promise<GoneHomeLeftover[]> {
    return this.goneHomeResources.find();
  }

  sweepGoneHomes(): Promise<GoneHomeLeftover[]> {
    return this.goneHomeResources.sweep();
  }

  async missingPrerequisite(engine: Engine): Promise<string | null> {
    const image = this.opts.image(engine);
    return (await this.images.exists(image)) ? null : `image ${image} is not on the engine`;
  }

  /** Stops the builder's container cleanly and keeps its data as the golden snapshot: its clone's directory, else its container committed as an image. */
  private async promote(copyId: string, key: string, engine: Engine): Promise<void> {
    const container = this.docker.getContainer(containerName(copyId));
    await this.call(() => container.stop({ t: PROMOTE_STOP_S }));
    if (fs.existsSync(this.clones.copyDir(copyId))) await this.clones.promote(copyId, key, engine.name);
    else await this.images.commitGolden(container, key, engine);
    await this.remove(copyId);
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
}
