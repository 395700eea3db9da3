import fs from 'node:fs';
import { DittoError } from '../errors.js';
import { sha256File, writeFileAtomically } from './files.js';

/** What `<dump>.sha256` holds: the content hash, and the file state it was computed for. */
interface IdentityRecord {
  sha256: string;
  size: number;
  mtimeMs: number;
}

function sidecar(dumpPath: string): string {
  return `${dumpPath}.sha256`;
}

/**
 * A dump's identity: the sha256 of its content. Golden snapshots and caches are keyed by it, so a
 * dump replaced by identical bytes keeps its snapshot and a changed one never reuses an old one.
 * Read from `<dump>.sha256` when that was written for the file as it is now (same size and
 * modification time); computed and recorded otherwise (a dump ditto did not write, or one
 * replaced behind its back).
 */
export async function dumpIdentity(dumpPath: string): Promise<string> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dumpPath);
  } catch {
    throw new DittoError('DUMP_INVALID', `dump file ${dumpPath} does not exist`, { hint: 'make one with `ditto reseed`' });
  }
  const recorded = readRecord(dumpPath);
  if (recorded && recorded.size === stat.size && recorded.mtimeMs === stat.mtimeMs) return recorded.sha256;
  const sha256 = await sha256File(dumpPath);
  recordIdentity(dumpPath, sha256);
  return sha256;
}

/** Records a dump's hash beside it; best effort, since the hash can always be computed again. */
export function recordIdentity(dumpPath: string, sha256: string): void {
  try {
    const stat = fs.statSync(dumpPath);
    const record: IdentityRecord = { sha256, size: stat.size, mtimeMs: stat.mtimeMs };
    writeFileAtomically(sidecar(dumpPath), JSON.stringify(record) + '\n');
  } catch {
    // A read-only dump directory: the hash is computed on each use instead.
  }
}

function readRecord(dumpPath: string): IdentityRecord | null {
  try {
    const value = JSON.parse(fs.readFileSync(sidecar(dumpPath), 'utf8')) as Partial<IdentityRecord>;
    if (typeof value.sha256 === 'string' && /^[0-9a-f]{64}$/.test(value.sha256) && typeof value.size === 'number' && typeof value.mtimeMs === 'number') {
      return value as IdentityRecord;
    }
  } catch {
    // Missing or unreadable: computed afresh.
  }
  return null;
}
