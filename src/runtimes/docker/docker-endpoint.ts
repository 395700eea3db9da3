import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DittoError } from '../../errors.js';

/**
 * Where the Docker engine is, resolved the way dockerode resolves it (DOCKER_HOST, else the
 * per-user Docker Desktop socket, else /var/run/docker.sock), so messages name what was dialled.
 * Kept free of dockerode: `runtime: auto` probes the engine on every `ditto up`, and loading
 * dockerode costs more than the probe itself.
 */
export interface EngineAddress {
  /** As a user would write it in DOCKER_HOST. */
  display: string;
  /** The Unix socket, when the engine is reached through one. */
  socketPath: string | null;
}

export function engineAddress(env: NodeJS.ProcessEnv = process.env): EngineAddress {
  const host = env.DOCKER_HOST;
  if (!host) {
    const userSocket = path.join(os.homedir(), '.docker', 'run', 'docker.sock');
    const socketPath = fs.existsSync(userSocket) ? userSocket : '/var/run/docker.sock';
    return { display: `unix://${socketPath}`, socketPath };
  }
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length) || '/var/run/docker.sock';
    return { display: `unix://${socketPath}`, socketPath };
  }
  return { display: host, socketPath: null };
}

export type Probe = { ok: true } | { ok: false; reason: string };

/** Whether an engine answers `/_ping` at `address` within `timeoutMs`. Never throws. */
export async function probeEngine(address: EngineAddress, timeoutMs: number): Promise<Probe> {
  try {
    if (address.socketPath) await pingSocket(address.socketPath, timeoutMs);
    else await pingWithDockerode(timeoutMs);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: connectReason(err, timeoutMs) };
  }
}

/** The error for an engine that cannot be reached: one line, and what to do about it. */
export function unreachable(address: EngineAddress, reason: string): DittoError {
  return new DittoError('RUNTIME_UNAVAILABLE', `cannot reach the Docker engine at ${address.display}: ${reason}`, {
    hint: 'start the Docker engine (or point DOCKER_HOST at one), or set runtime: local',
  });
}

/** Errors that mean "no engine there" rather than "the engine refused this request". */
export function isConnectError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && ['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'ENOTSOCK'].includes(code);
}

/** A short reason for a failed connection, for messages. */
export function connectReason(err: unknown, timeoutMs?: number): string {
  const e = err as NodeJS.ErrnoException & { name?: string };
  switch (e?.code) {
    case 'ENOENT':
      return 'no socket there';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (is this user in the docker group?)';
    case 'ABORT_ERR':
    case 'ETIMEDOUT':
      return timeoutMs ? `no answer within ${timeoutMs} ms` : 'no answer';
  }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return timeoutMs ? `no answer within ${timeoutMs} ms` : 'no answer';
  return e?.message ?? String(err);
}

async function pingSocket(socketPath: string, timeoutMs: number): Promise<void> {
  // Loaded here, not at start-up: only this probe needs an HTTP client.
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: '/_ping', signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve();
      else reject(new Error(`the engine answered /_ping with HTTP ${res.statusCode}`));
    });
    req.on('error', reject);
  });
}

/** TCP, TLS and SSH engines: dockerode knows DOCKER_TLS_VERIFY, DOCKER_CERT_PATH and ssh://. */
async function pingWithDockerode(timeoutMs: number): Promise<void> {
  const { default: Docker } = await import('dockerode');
  // dockerode's ping takes options (an abort signal) that its type declarations omit.
  const ping = Docker.prototype.ping as unknown as (this: InstanceType<typeof Docker>, opts: { abortSignal: AbortSignal }) => Promise<unknown>;
  await ping.call(new Docker(), { abortSignal: AbortSignal.timeout(timeoutMs) });
}
