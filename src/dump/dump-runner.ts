import crypto from 'node:crypto';
import path from 'node:path';
import type { DumpSource, Engine } from '../engines/engine.js';
import { toolErrorLine } from '../engines/postgres.js';
import { DittoError } from '../errors.js';
import { connectReason, isConnectError, unreachable, type EngineAddress } from '../runtimes/docker-endpoint.js';

/**
 * Where the engine's dump tool runs: a binary on this machine, or a throwaway helper container of
 * an image that has it, on the host's network (so it reaches what this machine reaches, and needs
 * no network of its own) with only the output file mounted.
 */
export type DumpPlace = { kind: 'host'; binDir: string } | { kind: 'container'; image: string; address: EngineAddress };

/** Where the helper container writes: the output file is bind-mounted here. */
const OUT_MOUNT = '/ditto/out.dump';

export function describePlace(place: DumpPlace): string {
  return place.kind === 'host' ? `${place.binDir}` : `a helper container of ${place.image}`;
}

/**
 * Writes a dump of `source` into `out`, which must exist already (created 0600 by the caller, so
 * the dump is private from its first byte). `what` names the source in errors, without secrets.
 */
export async function runDump(engine: Engine, place: DumpPlace, source: DumpSource, out: string, what: string, signal?: AbortSignal, hint = 'check that the source is reachable and the URL, user and password are right'): Promise<void> {
  const result = place.kind === 'host' ? await onHost(engine, place.binDir, source, out, signal) : await inContainer(engine, place, source, signal, out);
  if (signal?.aborted) throw new DittoError('INTERRUPTED', `interrupted while dumping ${what}`);
  if (result.exitCode !== 0) {
    throw new DittoError('REMOTE', `could not dump ${what}: ${toolErrorLine(result.stderr, /^pg_dump: (error: )?/) || `${engine.dumpTool} exited with ${result.exitCode}`}`, { hint });
  }
}

interface ToolResult {
  exitCode: number;
  stderr: string;
}

async function onHost(engine: Engine, binDir: string, source: DumpSource, out: string, signal?: AbortSignal): Promise<ToolResult> {
  const { tool, args, env } = engine.dumpCommand(source, out);
  const { execa } = await import('execa');
  const result = await execa(path.join(binDir, tool), args, { env, reject: false, stdin: 'ignore', stdout: 'ignore', ...(signal ? { cancelSignal: signal } : {}) });
  return { exitCode: result.exitCode ?? -1, stderr: result.stderr };
}

async function inContainer(engine: Engine, place: Extract<DumpPlace, { kind: 'container' }>, source: DumpSource, signal: AbortSignal | undefined, out: string): Promise<ToolResult> {
  const { tool, args, env } = engine.dumpCommand(source, OUT_MOUNT);
  const { default: Docker } = await import('dockerode');
  const { demuxLogs } = await import('../runtimes/docker-io.js');
  const docker = new Docker();
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (isConnectError(err)) throw unreachable(place.address, connectReason(err));
      throw err;
    }
  };
  try {
    await call(() => docker.getImage(place.image).inspect());
  } catch (err) {
    if (err instanceof DittoError) throw err;
    throw new DittoError('RUNTIME_UNAVAILABLE', `no ${tool} on this machine, and image ${place.image} is not on the Docker engine to run it from`, {
      hint: `install the PostgreSQL client (${tool}), or pull ${place.image}`,
    });
  }
  const container = await call(() =>
    docker.createContainer({
      name: `ditto-dump-${crypto.randomBytes(6).toString('hex')}`,
      Image: place.image,
      // The image's entrypoint would start a server: run the tool itself.
      Entrypoint: [tool],
      Cmd: args,
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: { 'ditto.helper': 'dump' },
      HostConfig: {
        NetworkMode: 'host',
        Mounts: [{ Type: 'bind', Source: out, Target: OUT_MOUNT }],
        RestartPolicy: { Name: 'no' },
      },
    }),
  );
  const stop = () => void container.kill().catch(() => {});
  signal?.addEventListener('abort', stop, { once: true });
  try {
    await call(() => container.start());
    const status = (await call(() => container.wait())) as { StatusCode: number };
    const logs = await call(() => container.logs({ stdout: false, stderr: true, follow: false }));
    return { exitCode: status.StatusCode, stderr: demuxLogs(logs as unknown as Buffer) };
  } finally {
    signal?.removeEventListener('abort', stop);
    await container.remove({ force: true, v: true }).catch(() => {}); // v: the image's anonymous data volume goes too
  }
}
