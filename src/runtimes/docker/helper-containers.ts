import crypto from 'node:crypto';
import type Docker from 'dockerode';
import type { ToolResult, ToolRunner } from '../../engines/engine.js';
import { DittoError } from '../../errors.js';
import { currentDriver, currentHost, isDriverAlive } from '../../model/process-identity.js';
import { tail } from '../../support/text.js';
import type { EngineAddress } from './docker-endpoint.js';
import { engineCall } from './engine-call.js';
import { homeKey } from '../home-mark.js';
import { homeLabels, LABEL_DRIVER, LABEL_DRIVER_HOST, LABEL_HELPER, LABEL_HOME } from './labels.js';
import { demuxLogs } from './docker-io.js';

/** Where a helper's file is bind-mounted. */
const FILE_MOUNT = '/ditto/file';

/**
 * Throwaway containers that run one client tool of an image (pg_dump of a source, or of a scratch
 * copy whose server is of that image), on the host's network so they reach what this machine
 * reaches, with one file mounted. They carry this home's labels and their maker's identity, so
 * the orphan scan removes any whose maker died before it could.
 */
export class HelperContainers {
  constructor(
    private readonly docker: Docker,
    private readonly address: EngineAddress,
    private readonly home: string,
  ) {}

  tools(image: string, file: string): ToolRunner {
    return {
      run: (tool, args, env, opts) => this.run(image, file, tool, args, env, opts?.signal),
      dumpPath: () => FILE_MOUNT,
    };
  }

  /** Removes helpers of this home whose maker is no longer alive; returns their names. */
  async sweep(): Promise<string[]> {
    const found = await this.call(() => this.docker.listContainers({ all: true, filters: { label: [LABEL_HELPER, `${LABEL_HOME}=${homeKey(this.home)}`] } }));
    const removed: string[] = [];
    for (const c of found) {
      if (isDriverAlive(c.Labels[LABEL_DRIVER] ?? null, c.Labels[LABEL_DRIVER_HOST] ?? null)) continue;
      await this.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {});
      removed.push(c.Names[0]?.replace(/^\//, '') ?? c.Id);
    }
    return removed;
  }

  private async run(image: string, file: string, tool: string, args: string[], env: Record<string, string>, signal?: AbortSignal): Promise<ToolResult> {
    try {
      await this.call(() => this.docker.getImage(image).inspect());
    } catch (err) {
      if (err instanceof DittoError) throw err;
      throw new DittoError('RUNTIME_UNAVAILABLE', `no ${tool} on this machine, and image ${image} is not on the Docker engine to run it from`, {
        hint: `install the client tools (${tool}), or pull ${image}`,
      });
    }
    const container = await this.call(() =>
      this.docker.createContainer({
        name: `ditto-helper-${crypto.randomBytes(6).toString('hex')}`,
        Image: image,
        // The image's entrypoint would start a server: run the tool itself.
        Entrypoint: [tool],
        Cmd: args,
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        Labels: { ...homeLabels(this.home), [LABEL_HELPER]: 'dump', [LABEL_DRIVER]: currentDriver(), [LABEL_DRIVER_HOST]: currentHost() },
        HostConfig: { NetworkMode: 'host', Mounts: [{ Type: 'bind', Source: file, Target: FILE_MOUNT }], RestartPolicy: { Name: 'no' } },
      }),
    );
    const stop = () => void container.kill().catch(() => {});
    signal?.addEventListener('abort', stop, { once: true });
    try {
      await this.call(() => container.start());
      const status = (await this.call(() => container.wait())) as { StatusCode: number };
      const logs = await this.call(() => container.logs({ stdout: false, stderr: true, follow: false }));
      if (signal?.aborted) return { exitCode: null, signal: 'SIGKILL', stderr: '' };
      return { exitCode: status.StatusCode, signal: null, stderr: tail(demuxLogs(logs as unknown as Buffer)) };
    } finally {
      signal?.removeEventListener('abort', stop);
      await container.remove({ force: true, v: true }).catch(() => {}); // v: the image's anonymous data volume goes too
    }
  }

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return engineCall(this.address, fn);
  }
}
