import process from 'node:process';
import { DittoError } from './errors.js';
import { LocalClient } from './local.js';
import { RemoteClient } from './remote.js';
import type { ClientOptions, Copy, CopyEvent, DittoClient, IssuedCopy, Status, UpOptions } from './types.js';

export { DittoError, type ErrorCode } from './errors.js';
export { LocalClient } from './local.js';
export { RemoteClient } from './remote.js';
export type { ClientOptions, Copy, CopyEvent, DittoClient, IssuedCopy, Status, TestDatabase, UpOptions } from './types.js';

/**
 * The client the options and the environment select: remote mode with a `server` (or
 * DITTO_SERVER), speaking /v2 to that ditto host; else local mode, running the `ditto`
 * executable (DITTO_BIN, or `ditto` on PATH).
 */
export function createClient(options: ClientOptions = {}): DittoClient {
  const server = (options.server ?? process.env.DITTO_SERVER ?? '').trim();
  return server ? new RemoteClient(server, options) : new LocalClient(options);
}

/** A fresh copy: its connection string, id, TTL, ... */
export function up(options: UpOptions & ClientOptions = {}): Promise<IssuedCopy> {
  return createClient(options).up(options);
}

/** Destroys a copy now instead of at its TTL. */
export function down(id: string, options: ClientOptions = {}): Promise<void> {
  return createClient(options).down(id);
}

export function list(options: { all?: boolean } & ClientOptions = {}): Promise<Copy[]> {
  return createClient(options).list(options);
}

/** A copy's lifecycle events. */
export function events(id: string, options: ClientOptions = {}): Promise<CopyEvent[]> {
  return createClient(options).events(id);
}

export function status(options: ClientOptions = {}): Promise<Status> {
  return createClient(options).status();
}

/**
 * Runs `fn` with a fresh copy and destroys the copy afterwards, whether `fn` returns or throws.
 * When `fn` throws, its error is what surfaces (a copy that cannot be destroyed then ends at its TTL).
 */
export async function withCopy<T>(options: UpOptions & ClientOptions, fn: (copy: IssuedCopy) => T | Promise<T>): Promise<T> {
  const client = createClient(options);
  const copy = await client.up(options);
  const destroy = () => client.down(copy.id).catch((err: unknown) => {
    // fn may have destroyed it itself.
    if (!(err instanceof DittoError && err.code === 'NOT_FOUND')) throw err;
  });
  let result: T;
  try {
    result = await fn(copy);
  } catch (err) {
    await destroy().catch(() => {});
    throw err;
  }
  await destroy();
  return result;
}
