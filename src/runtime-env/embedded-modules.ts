import vm from 'node:vm';
import { DittoError } from '../errors.js';
import { sea } from './sea.js';

/**
 * JavaScript the single executable carries as assets beside its start-up snapshot, each with a V8
 * code cache made at build time (scripts/build-binary.mjs): `vendor/<package>`, the libraries that
 * only some commands use (the Docker client, the AWS SDK, pg, mysql2, undici, jose, the X.509
 * stack, tar-stream, pino, listr2, execa, croner, and the config's YAML parser and schema
 * library). In the snapshot they would add megabytes that every
 * start deserializes; here each is compiled the first time a command asks for it.
 * The build points the executable's imports of those packages at vendorModule(); outside the
 * executable they are ordinary imports.
 */

const loaded = new Map<string, unknown>();

/** The package `name` from the executable's assets, as require(name) would give it. */
export function vendorModule(name: string): unknown {
  return embeddedModule(`vendor/${name}`);
}

/** The exports of the embedded module `name` (assets `<name>.cjs` and `<name>.cache`), run once. */
export function embeddedModule(name: string): unknown {
  if (loaded.has(name)) return loaded.get(name);
  const s = sea();
  if (!s?.isSea()) throw new DittoError('INTERNAL', `${name} is carried only inside the ditto executable`);
  let source: string;
  try {
    source = s.getAsset(`${name}.cjs`, 'utf8');
  } catch {
    throw new DittoError('INTERNAL', `${name} is not in this ditto executable`, { hint: 'rebuild it: npm run build:binary' });
  }
  let cache: Buffer | undefined;
  try {
    cache = Buffer.from(s.getRawAsset(`${name}.cache`) as ArrayBuffer);
  } catch {
    // Built without a code cache: compiled from source, a little slower.
  }
  const exports = compileEmbedded(name, source, cache).run();
  loaded.set(name, exports);
  return exports;
}

/**
 * Compiles an embedded bundle as a CommonJS module whose require() reaches Node's built-ins only,
 * as in the executable's main script. The build makes the code caches through this same function,
 * so source text and options match and V8 accepts them. (V8 refuses a cache made under other V8
 * flags, NODE_OPTIONS=--max-old-space-size for one: the module then compiles from source.)
 */
export function compileEmbedded(name: string, source: string, cachedData?: Buffer): { script: vm.Script; run: () => unknown } {
  const filename = `ditto/${name}.cjs`;
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename,
    ...(cachedData ? { cachedData } : {}),
  });
  const run = (): unknown => {
    const mod = { exports: {} as unknown };
    const factory = script.runInThisContext() as (...args: unknown[]) => void;
    factory(mod.exports, builtinRequire, mod, filename, 'ditto');
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
