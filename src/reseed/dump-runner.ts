import type { DumpSource, Engine, ToolRunner } from '../engines/engine.js';
import { DittoError } from '../errors.js';
import { toolErrorLine } from '../support/text.js';

/**
 * Writes a dump of `source` into `out` with the engine's dump tool, run by `tools` (a binary on
 * this machine, or a helper container). `out` must exist already (created 0600 by the caller, so
 * the dump is private from its first byte). `what` names the source in errors, without secrets.
 */
export async function runDump(engine: Engine, tools: ToolRunner, source: DumpSource, out: string, what: string, opts: { signal?: AbortSignal | undefined; excludeTableData: readonly string[]; hint?: string }): Promise<void> {
  const { signal, hint = 'check that the source is reachable and the URL, user and password are right' } = opts;
  const { tool, args, env } = engine.dumpCommand(source, tools.dumpPath(out), { excludeTableData: opts.excludeTableData });
  const result = await tools.run(tool, args, env, { signal });
  if (signal?.aborted) throw new DittoError('INTERRUPTED', `interrupted while dumping ${what}`);
  if (result.exitCode !== 0) {
    const why = toolErrorLine(result.stderr, engine.dumpToolPrefix) || (result.signal ? `${tool} was killed by ${result.signal}` : `${tool} exited with ${result.exitCode}`);
    throw new DittoError('REMOTE', `could not dump ${what}: ${why}`, { hint });
  }
}
