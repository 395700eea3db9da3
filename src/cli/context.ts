import type { CopyClient } from '../client/copy-client.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';

/** Options every command takes. */
export interface GlobalArgs {
  home?: string | undefined;
  config?: string | undefined;
}

export function loadFor(args: GlobalArgs): LoadedConfig {
  return loadConfig({ configPath: args.config, home: args.home });
}

/** Opens the CopyClient the global options select, runs `fn`, and closes it. */
export async function withClient<T>(args: GlobalArgs, fn: (client: CopyClient, loaded: LoadedConfig) => Promise<T>): Promise<T> {
  const loaded = loadFor(args);
  const { createLocalClient } = await import('../client/local-client.js');
  const client = createLocalClient(loaded, 'cli', { spawnMaintainer: true });
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
