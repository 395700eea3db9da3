import type { CopyInfo } from '../model/copy-client.js';
import { isFinal } from '../model/copy.js';
import type { RuntimeSource } from '../runtimes/registry.js';
import { idsByRuntime } from './context.js';

/**
 * `copies` with the bytes each owns on disk, asked of each runtime once for all its copies. A
 * copy that is gone, or whose runtime cannot measure it (or cannot be reached), keeps null: a
 * list is never refused for want of a size.
 */
export async function withDiskBytes(runtimes: RuntimeSource, copies: CopyInfo[]): Promise<CopyInfo[]> {
  const byRuntime = idsByRuntime(copies.filter((copy) => !isFinal(copy.status)));
  const sizes = new Map<string, number | null>();
  await Promise.all(
    [...byRuntime].map(async ([name, ids]) => {
      const measured = await runtimes
        .get(name)
        .then((runtime) => runtime.copyBytes?.(ids))
        .catch(() => undefined);
      for (const [id, bytes] of measured ?? []) sizes.set(id, bytes);
    }),
  );
  return copies.map((copy) => ({ ...copy, diskBytes: sizes.get(copy.id) ?? null }));
}
