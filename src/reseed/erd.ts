import { maskUrl, resolveSecret } from '../config/secrets.js';
import { lookupCopy } from '../copies/access.js';
import type { Copies } from '../copies/house.js';
import { credentialsOf, endpointOf } from '../copies/lifecycle.js';
import { renderErd, type ErdFormat } from '../diagram/erd.js';
import type { Engine } from '../engines/engine.js';
import type { Engines } from '../engines/registry.js';
import { DittoError } from '../errors.js';
import type { DbSchema } from '../model/schema.js';
import { CopiesRepo } from '../state/copies-repo.js';
import { firstLine } from '../support/text.js';
import { SCRATCH_TTL_SECONDS } from './reseed.js';

export interface ErdContext {
  copies: Copies;
  engines: Engines;
  onProgress?: ((step: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

export interface ErdOptions {
  /** A copy of this home, by id or prefix. */
  id?: string | undefined;
  /** A database URL (or secret reference) to read instead. */
  source?: string | undefined;
  format: ErdFormat;
}

export interface ErdResult {
  text: string;
  tables: number;
  foreignKeys: number;
  /** What was drawn, fit to print (no password). */
  from: string;
}

/**
 * The entity-relationship diagram of a copy, a source URL, or (neither given) the current dump:
 * restored into a scratch copy, which is destroyed after, as reseed's are. The engine reads the
 * catalogue; the diagram is drawn from what it read.
 */
export async function erd(ctx: ErdContext, opts: ErdOptions): Promise<ErdResult> {
  const { copies, engines } = ctx;
  const progress = ctx.onProgress ?? (() => {});
  if (opts.id !== undefined && opts.source !== undefined) throw new DittoError('BAD_INPUT', 'give a copy id or --source, not both');
  let drawn: { schema: DbSchema; from: string };
  if (opts.source !== undefined) {
    const url = resolveSecret(opts.source, '--source');
    const engine = engines.forUrl(url);
    if (!engine) {
      throw new DittoError('BAD_INPUT', `--source ${maskUrl(url)} is no database URL ditto knows`, { hint: `give a ${engines.all().flatMap((e) => e.schemes.map((s) => `${s}://`)).join(', ')} URL` });
    }
    progress(`Reading the schema of ${maskUrl(url)}`);
    drawn = { schema: await readSchema(engine, url, maskUrl(url)), from: maskUrl(url) };
  } else if (opts.id !== undefined) {
    const copy = lookupCopy(new CopiesRepo(copies.db), opts.id, null);
    if (copy.status !== 'ready' || copy.port === null) {
      throw new DittoError('CONFLICT', `copy ${copy.id} is ${copy.status}: only a ready copy has a schema to draw`, { hint: 'ditto ls shows the copies that are ready' });
    }
    const engine = engines.get(copy.engine);
    progress(`Reading the schema of copy ${copy.id}`);
    drawn = { schema: await readSchema(engine, engine.connectionString(endpointOf(copy), credentialsOf(copy)), `copy ${copy.id}`), from: `copy ${copy.id}` };
  } else {
    drawn = await ofCurrentDump(ctx);
  }
  const { schema, from } = drawn;
  return { text: renderErd(schema, opts.format), tables: schema.tables.length, foreignKeys: schema.foreignKeys.length, from };

  /** The current dump's schema, read from a scratch copy restored from it. */
  async function ofCurrentDump(ctx: ErdContext): Promise<{ schema: DbSchema; from: string }> {
    const dumpPath = copies.provisioner.currentDump();
    if (!dumpPath) {
      throw new DittoError('DUMP_INVALID', 'no dump to draw: none is configured and `ditto reseed` has made none', {
        hint: 'give a copy id or --source URL, or run `ditto reseed --source URL` (or set dump.path)',
      });
    }
    const engine = engines.current(copies.config);
    progress('Restoring the dump into a scratch copy');
    const copy = await copies.provisioner.scratch(engine, dumpPath, SCRATCH_TTL_SECONDS, { onProgress: progress, signal: ctx.signal });
    try {
      progress('Reading the schema');
      return { schema: await readSchema(engine, engine.connectionString(copy.endpoint, copy.credentials), `scratch copy ${copy.id}`), from: dumpPath };
    } finally {
      await copies.manager.down({ ids: [copy.id] }).catch(() => {});
    }
  }
}

/** The engine's reading of the catalogue; a failure is one line that names the database without its password. */
async function readSchema(engine: Engine, url: string, shown: string): Promise<DbSchema> {
  try {
    return await engine.schemaOf(url);
  } catch (err) {
    if (err instanceof DittoError) throw err;
    const { password } = engine.parseSource(url);
    // A refused connection can come as an AggregateError with no message of its own, only a code.
    const why = firstLine((err as Error).message || String((err as { code?: string }).code ?? err));
    throw new DittoError('REMOTE', `could not read the schema of ${shown}: ${password ? why.replaceAll(password, '***') : why}`, {
      hint: 'check that the database is reachable and the URL, user and password are right',
    });
  }
}
