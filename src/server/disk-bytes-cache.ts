import type { CopyInfo } from '../model/copy-client.js';

/**
 * The host's answer to `?disk_bytes=true`: each copy measured at most once per `maxAgeMs`, and one
 * measurement at a time. Measuring walks a copy's files (a `du` or `filefrag` run each), and every
 * open dashboard asks for sizes: twenty of them asking at once cost one walk of each copy, not twenty.
 */
export function cachedDiskBytes(measure: (copies: CopyInfo[]) => Promise<CopyInfo[]>, maxAgeMs: number, now: () => number = Date.now): (copies: CopyInfo[]) => Promise<CopyInfo[]> {
  const known = new Map<string, { bytes: number | null; at: number }>();
  let queue: Promise<unknown> = Promise.resolve();
  const fresh = (id: string) => {
    const entry = known.get(id);
    return entry !== undefined && now() - entry.at <= maxAgeMs;
  };
  return async (copies) => {
    // Behind the measurement under way, which likely measured most of these already.
    const turn = queue.then(async () => {
      const stale = copies.filter((copy) => !fresh(copy.id));
      if (stale.length === 0) return;
      const measured = await measure(stale);
      const at = now();
      for (const copy of measured) known.set(copy.id, { bytes: copy.diskBytes, at });
      // Copies long unasked for (destroyed ones) are forgotten.
      for (const [id, entry] of known) if (at - entry.at > 10 * maxAgeMs) known.delete(id);
    });
    queue = turn.catch(() => {});
    await turn;
    return copies.map((copy) => ({ ...copy, diskBytes: known.get(copy.id)?.bytes ?? null }));
  };
}
