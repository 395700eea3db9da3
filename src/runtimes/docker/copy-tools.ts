import type Docker from 'dockerode';
import type { ToolRunner } from '../../engines/engine.js';
import { DittoError } from '../../errors.js';
import type { Endpoint } from '../../model/endpoint.js';
import { tail } from '../../support/text.js';
import { execIn } from './docker-io.js';

/** Where a copy's dump appears inside its container (read-only). */
export const DUMP_MOUNT = '/ditto/dump';

export interface CopyToolsOptions {
  copyId: string;
  dumpPath: string | null;
  /** The server's port inside a container with a network of its own. */
  innerPort: number;
  /** The container has a network of its own (bridge), not the host's. */
  bridged: boolean;
  call: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** The engine's client tools run by exec in the copy's container, where its dump is mounted. */
export function copyTools(docker: Docker, container: Docker.Container, opts: CopyToolsOptions): ToolRunner {
  const { copyId, dumpPath, innerPort, bridged, call } = opts;
  return {
    // An exec cannot be killed through the engine's API: an aborted one ends with the copy's container, which its maker removes.
    run: async (tool, args, env, runOpts = {}) => {
      const { signal } = runOpts;
      const ran = call(() => execIn(docker, container, [tool, ...args], env, runOpts.input));
      const aborted = new Promise<{ exitCode: number; stderr: string } | null>((resolve) => {
        if (signal?.aborted) resolve(null);
        signal?.addEventListener('abort', () => resolve(null), { once: true });
      });
      const result = await Promise.race([ran, aborted]);
      if (result === null) {
        ran.catch(() => {});
        return { exitCode: null, signal: 'SIGTERM', stderr: '' };
      }
      return { exitCode: result.exitCode, signal: null, stderr: tail(result.stderr) };
    },
    dumpPath: (file) => {
      // Only the copy's own dump is mounted, at start; any other path does not exist in the container.
      if (file !== dumpPath) throw new DittoError('INTERNAL', `dump ${file} is not mounted in the container of copy ${copyId}`);
      return DUMP_MOUNT;
    },
    // Inside its own network the server is on the image's port; on the host's, on the copy's.
    endpoint: (e: Endpoint) => (bridged ? { ...e, host: '127.0.0.1', port: innerPort } : e),
  };
}
