import type { LoadedConfig } from '../config/locate.js';
import { note } from './output.js';
import type { Copies } from '../copies/house.js';
import type { HttpClient } from '../client/http-client.js';
import type { CopyClient } from '../model/copy-client.js';

/** Options every command takes. */
export interface GlobalArgs {
  home?: string | undefined;
  config?: string | undefined;
  /** A ditto host's URL (`--remote`, env DITTO_SERVER): commands go through it instead of this machine. */
  remote?: string | undefined;
}

/** The config in force, from the cache while nothing changed (see loadConfigCached); `--version` and `--help` never load it. */
export async function loadFor(args: GlobalArgs): Promise<LoadedConfig> {
  const { loadConfigCached } = await import('../config/cached-load.js');
  const loaded = await loadConfigCached({ configPath: args.config, home: args.home });
  for (const line of loaded.notices ?? []) note(line);
  return loaded;
}

/**
 * Runs `fn` with this machine's copies floor (pool, snapshot and reseed commands, which are local
 * by nature); with `spawnMaintainer`, changes to copies make sure the detached maintainer runs.
 */
export async function withLocalCopies<T>(args: GlobalArgs, opts: { actor: string; spawnMaintainer: boolean; log?: (message: string, fields?: Record<string, unknown>) => void }, fn: (copies: Copies, loaded: LoadedConfig) => Promise<T>): Promise<T> {
  const loaded = await loadFor(args);
  const { openLocal } = await import('../compose.js');
  const copies = openLocal(loaded, opts);
  try {
    return await fn(copies, loaded);
  } finally {
    await copies.manager.close();
  }
}

/** The host `--remote` or DITTO_SERVER names, if any. */
export function remoteUrl(args: GlobalArgs, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = args.remote ?? env.DITTO_SERVER;
  return url && url.trim() !== '' ? url.trim() : undefined;
}

/** The client of a ditto host at `url`: DITTO_TOKEN, or in GitHub Actions (id-token: write) an OIDC token asked of the runner on first use; DITTO_CA_FILE trusted. */
export async function remoteClient(url: string): Promise<HttpClient> {
  const [{ HttpClient }, { hostToken }] = await Promise.all([import('../client/http-client.js'), import('../client/actions-token.js')]);
  return new HttpClient(url, hostToken(process.env), { caFile: process.env.DITTO_CA_FILE || undefined });
}

/**
 * Opens the CopyClient the global options select (a host's HTTP client with --remote or
 * DITTO_SERVER, else this machine's Manager, acting as `actor` in its events), runs `fn`, and closes it.
 */
export async function withClient<T>(args: GlobalArgs, fn: (client: CopyClient, loaded: LoadedConfig) => Promise<T>, opts: { actor?: string } = {}): Promise<T> {
  const loaded = await loadFor(args);
  const remote = remoteUrl(args);
  let client: CopyClient;
  if (remote) {
    client = await remoteClient(remote);
  } else {
    const { openLocal } = await import('../compose.js');
    client = openLocal(loaded, { actor: opts.actor ?? 'cli', spawnMaintainer: true }).manager;
  }
  try {
    return await fn(client, loaded);
  } finally {
    await client.close();
  }
}

/** An AbortSignal fired by SIGINT/SIGTERM/SIGHUP, so an interrupted command can clean up first. */
export function interruptSignal(): { signal: AbortSignal; received: () => NodeJS.Signals | null; dispose: () => void } {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  const onSignal = (name: NodeJS.Signals) => {
    received ??= name;
    controller.abort();
  };
  const names: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const name of names) process.on(name, onSignal);
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => names.forEach((name) => process.off(name, onSignal)),
  };
}
