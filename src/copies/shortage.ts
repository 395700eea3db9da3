import fs from 'node:fs';
import type { DittoError } from '../errors.js';
import type { Copy } from '../model/copy.js';
import { formatBytes } from '../support/byte-size.js';
import { isNoSpace, noSpaceError } from '../support/no-space.js';
import type { CopiesContext } from './context.js';

/**
 * A copy (or a golden snapshot's builder) whose making ran out of disk space, said as such: not a
 * bad dump, not a server that would not start (DESIGN "Say the true cause").
 */

/**
 * Whether a copy being made failed for a full disk: the error says so, in the system's words or
 * its engine's (a tool's stderr, an error the server sent), or the server's log does (a server
 * that died of it leaves its clients only "connection lost"). Asked before the copy is removed.
 */
export async function failedForSpace(ctx: CopiesContext, copy: Copy, err: unknown): Promise<boolean> {
  const engine = ctx.engines.get(copy.engine);
  if (isNoSpace(err) || engine.diskFull(err instanceof Error ? err.message : String(err))) return true;
  try {
    const runtime = await ctx.runtimes.get(copy.runtime);
    return (await runtime.startFailure(copy.id, engine)).error.code === 'NO_SPACE';
  } catch {
    return false;
  }
}

/**
 * The error to give for it, once the failed copy is removed (so the free space it names is what a
 * retry has): the step, the runtime's data directory, and what the step needed as far as it can
 * be told (the snapshot a clone copies, the dump a restore reads).
 */
export async function shortageError(ctx: CopiesContext, copy: Copy, err: unknown): Promise<DittoError> {
  const runtime = await ctx.runtimes.get(copy.runtime);
  const dumpBytes = copy.dumpPath ? fileBytes(copy.dumpPath) : null;
  const restoreNeed = dumpBytes === null ? null : `the dump is ${formatBytes(dumpBytes)}, and a restore takes several times that besides the server's own files`;
  let doing: string;
  let need: string | null;
  if (copy.purpose === 'golden') {
    [doing, need] = [`making the golden snapshot of ${copy.dumpPath ?? 'an empty database'}`, restoreNeed];
  } else if (copy.goldenKey) {
    const bytes = await runtime.snapshots?.size(copy.goldenKey).catch(() => null);
    [doing, need] = [`making copy ${copy.id} from golden snapshot ${copy.goldenKey}`, bytes ? `a clone takes up to the snapshot's ${formatBytes(bytes)}` : null];
  } else {
    [doing, need] = [copy.dumpPath ? `restoring ${copy.dumpPath} into copy ${copy.id}` : `making copy ${copy.id}`, restoreNeed];
  }
  return noSpaceError({ doing, need, ...runtime.storage }, err);
}

function fileBytes(file: string): number | null {
  try {
    return fs.statSync(file).size;
  } catch {
    return null;
  }
}
