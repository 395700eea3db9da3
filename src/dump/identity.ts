import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DittoError } from '../errors.js';
import type { DumpSubset } from '../model/copy-client.js';
import { sha256File, writeFileAtomically } from '../support/files.js';
import { ensurePrivateDir } from '../support/private-dir.js';

/**
 * The content hash of a dump, and the file state (size, modification time) it was computed for;
 * with the subset its reseed kept, so that it is read back only while that very file is there.
 */
interface IdentityRecord {
  path: string;
  sha256: string;
  size: number;
  mtimeMs: number;
  subset?: DumpSubset;
}

/** Records kept in this process, so a host asks the disk only for a stat. */
const known = new Map<string, IdentityRecord>();

function recordFile(home: string, dumpPath: string): string {
  return path.join(home, 'cache', 'dump-ids', `${crypto.createHash('sha256').update(dumpPath).digest('hex').slice(0, 32)}.json`);
}

/**
 * A dump's identity: the sha256 of its content. Golden snapshots and the warm pool are keyed by it,
 * so a dump replaced by identical bytes (or only touched) keeps its snapshot and warm copies, and
 * a changed one never reuses an old one. The hash is kept in the home per path, size and
 * modification time, so an unchanged dump is hashed once.
 */
export async function dumpIdentity(dumpPath: string, home: string): Promise<string> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dumpPath);
  } catch {
    throw new DittoError('DUMP_INVALID', `dump file ${dumpPath} does not exist`, { hint: 'make one with `ditto reseed`' });
  }
  const fresh = (r: IdentityRecord | null | undefined): r is IdentityRecord => !!r && r.path === dumpPath && r.size === stat.size && r.mtimeMs === stat.mtimeMs;
  const memo = known.get(dumpPath);
  if (fresh(memo)) return memo.sha256;
  const recorded = readRecord(recordFile(home, dumpPath));
  if (fresh(recorded)) {
    known.set(dumpPath, recorded);
    return recorded.sha256;
  }
  const sha256 = await sha256File(dumpPath);
  recordIdentity(dumpPath, sha256, home, { stat });
  return sha256;
}

/** The subset the reseed that wrote this dump kept; null for a whole dump, or one ditto did not write. */
export function recordedSubset(dumpPath: string | null, home: string): DumpSubset | null {
  if (!dumpPath) return null;
  try {
    const stat = fs.statSync(dumpPath);
    const r = readRecord(recordFile(home, dumpPath));
    return r && r.path === dumpPath && r.size === stat.size && r.mtimeMs === stat.mtimeMs ? (r.subset ?? null) : null;
  } catch {
    return null;
  }
}

/**
 * What copies of a dump are keyed by: its content hash; `empty` for no dump; the path for a dump
 * that is missing (a copy of it fails, with the error that names it).
 */
export async function dumpKey(dumpPath: string | null, home: string): Promise<string> {
  if (!dumpPath) return 'empty';
  try {
    return await dumpIdentity(dumpPath, home);
  } catch {
    return `missing:${dumpPath}`;
  }
}

/**
 * Records a dump's hash (ditto just wrote it, or hashed it), and the subset a reseed kept of it;
 * best effort, since the hash can always be computed again.
 */
export function recordIdentity(dumpPath: string, sha256: string, home: string, extra: { stat?: fs.Stats; subset?: DumpSubset | null } = {}): void {
  try {
    const s = extra.stat ?? fs.statSync(dumpPath);
    const record: IdentityRecord = { path: dumpPath, sha256, size: s.size, mtimeMs: s.mtimeMs, ...(extra.subset ? { subset: extra.subset } : {}) };
    known.set(dumpPath, record);
    const file = recordFile(home, dumpPath);
    ensurePrivateDir(path.dirname(file));
    writeFileAtomically(file, JSON.stringify(record) + '\n');
  } catch {
    // A home that cannot be written: the hash is computed again by the next process.
  }
}

function readRecord(file: string): IdentityRecord | null {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<IdentityRecord>;
    if (typeof value.path === 'string' && typeof value.sha256 === 'string' && /^[0-9a-f]{64}$/.test(value.sha256) && typeof value.size === 'number' && typeof value.mtimeMs === 'number' && (value.subset === undefined || Array.isArray(value.subset.tables))) {
      return value as IdentityRecord;
    }
  } catch {
    // Missing or unreadable: computed afresh.
  }
  return null;
}
