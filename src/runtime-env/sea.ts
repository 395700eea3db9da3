import type * as SeaModule from 'node:sea';

/**
 * Whether this process is the single executable (Node's SEA) and what it carries inside: the CLI
 * in its start-up snapshot, and libraries only some commands use as assets (embedded-modules.ts).
 * State goes through node:sqlite there (state/sqlite.ts), so no native addon is carried.
 */

let seaModule: typeof SeaModule | null | undefined;

/** node:sea when the runtime has it (Node >= 20.12); null elsewhere (Deno, Bun, older Node). */
export function sea(): typeof SeaModule | null {
  if (seaModule !== undefined) return seaModule;
  try {
    // getBuiltinModule keeps this file loadable where node:sea does not exist.
    seaModule = (process.getBuiltinModule?.('node:sea') as typeof SeaModule | undefined) ?? null;
  } catch {
    seaModule = null;
  }
  return seaModule;
}

/** True inside the single executable built by `npm run build:binary`. */
export function isSingleExecutable(): boolean {
  return sea()?.isSea() ?? false;
}
