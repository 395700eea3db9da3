import vm from 'node:vm';
import { DittoError } from '../errors.js';
import { sea } from './sea.js';

/**
 * Libraries that only some commands use (the Docker client, the AWS SDK, pg, pino, listr2, execa,
 * croner) ride in the single executable as a second bundle, an asset, rather than in its start-up
 * snapshot: there they would add megabytes that every start deserializes. The first module asked
 * for compiles the bundle, with the code cache made at build time, and takes it from there.
 *
 * scripts/build-binary.mjs builds the bundle and points the executable's imports of these
 * packages at vendorModule(); outside the executable they are ordinary imports.
 */

/** Asset names; scripts/build-binary.mjs embeds them under these keys. */
export const VENDOR_ASSET = 'vendor.cjs';
export const VENDOR_CACHE_ASSET = 'vendor.cache';

/** The bundle's exports: a loader per package name, so a package initialises only when asked for. */
export type VendorTable = Record<string, () => unknown>;

let table: VendorTable | undefined;

/** The package `name` from the executable's vendor bundle, as require(name) would give it. */
export function vendorModule(name: string): unknown {
  table ??= loadFromExecutable();
  const load = table[name];
  if (!load) throw new DittoError('INTERNAL', `${name} is not in this executable's library bundle`, { hint: 'rebuild it: npm run build:binary' });
  return load();
}

function loadFromExecutable(): VendorTable {
  const s = sea();
  if (!s?.isSea()) throw new DittoError('INTERNAL', 'the library bundle exists only inside the ditto executable');
  let cache: Buffer | undefined;
  try {
    cache = Buffer.from(s.getRawAsset(VENDOR_CACHE_ASSET) as ArrayBuffer);
  } catch {
    // Built without a code cache: the bundle compiles from source, a little slower.
  }
  return compileVendorBundle(s.getAsset(VENDOR_ASSET, 'utf8'), cache).run();
}

/**
 * Compiles the bundle's source as a CommonJS module whose require() reaches Node's built-ins only,
 * as in the executable's main script. The build makes its code cache through this same function,
 * so source text and options match and V8 accepts the cache.
 */
export function compileVendorBundle(source: string, cachedData?: Buffer): { script: vm.Script; run: () => VendorTable } {
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: 'ditto-vendor.cjs',
    ...(cachedData ? { cachedData } : {}),
  });
  const run = (): VendorTable => {
    const mod = { exports: {} as VendorTable };
    const factory = script.runInThisContext() as (...args: unknown[]) => void;
    factory(mod.exports, builtinRequire, mod, 'ditto-vendor.cjs', '.');
    return mod.exports;
  };
  return { script, run };
}

function builtinRequire(id: string): unknown {
  const found = process.getBuiltinModule?.(id);
  if (found !== undefined) return found;
  const err = new Error(`Cannot find module '${id}' (not carried in the ditto executable)`) as NodeJS.ErrnoException;
  err.code = 'MODULE_NOT_FOUND';
  throw err;
}
