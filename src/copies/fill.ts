import type { DumpFile, Engine } from '../engines/engine.js';
import type { Runtime } from '../runtimes/runtime.js';
import type { CopiesContext } from './context.js';
import { runPrepare } from './prepare.js';
import { credentialsOf, endpointOf, type Act, type StartedCopy } from './lifecycle.js';

/**
 * Makes a started copy's data, where it is not cloned from a golden snapshot (the snapshot's
 * builder, or a copy restored directly): the dump restored into it; then, for users' data (not
 * ditto's scratch copies), the prepare command run against it and a template of the result kept
 * for per-test databases. Resolves to the copy as it is then (a dump that creates its own
 * database is the one its connection string names).
 */
export async function fillCopy(
  ctx: CopiesContext,
  runtime: Runtime,
  engine: Engine,
  copy: StartedCopy,
  dump: DumpFile | null,
  act: Act,
  opts: { forUsers: boolean },
): Promise<StartedCopy> {
  let filled = copy;
  if (dump) {
    act.onProgress?.('Restoring the dump');
    const database = await engine.restore(runtime.tools(copy.id, engine, copy.dumpPath), dump, endpointOf(copy), credentialsOf(copy), act.signal);
    act.signal?.throwIfAborted();
    if (database) filled = { ...copy, database };
  }
  if (!opts.forUsers) return filled;
  const { prepare } = ctx.config;
  if (prepare) {
    act.onProgress?.(`Preparing: ${prepare.command}`);
    await runPrepare(prepare, engine.connectionString(endpointOf(filled), credentialsOf(filled)), act.signal);
  }
  await engine.testDatabases(endpointOf(filled), credentialsOf(filled)).seal(filled.database);
  return filled;
}
