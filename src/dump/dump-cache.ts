import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir } from '../support/private-dir.js';
import { commitFile, removeQuietly, writeFileAtomically } from '../support/files.js';

/** What was last fetched from a URI: the content's hash, and the validators to ask whether it changed. */
export interface UriRecord {
  sha256: string;
  size: number;
  etag: string | null;
  lastModified: string | null;
}

/** A partial download untouched this long belongs to a process that died. */
const ABANDONED_PART_MS = 3600_000;

/**
 * Downloaded dumps under `<home>/cache/dumps/`, one file per content hash (`<sha256>.dump`), so the
 * same bytes fetched from two URIs are kept once. Use is recorded in a file's access time, set
 * explicitly (mounts may not keep it) and never in its modification time, which warm pools and
 * golden snapshots read as the dump's version; past `maxBytes` the least recently used go first.
 * Downloads land in `*.part` files and become cache entries only once complete and verified.
 */
export class DumpCache {
  readonly dir: string;
  private readonly uris: string;

  constructor(home: string, private readonly maxBytes: number) {
    this.dir = path.join(home, 'cache', 'dumps');
    this.uris = path.join(this.dir, 'uris');
  }

  /** The cached dump with this hash, marked as just used; null when absent. */
  get(sha256: string): string | null {
    const file = this.entry(sha256);
    try {
      markUsed(file);
      return file;
    } catch {
      return null;
    }
  }

  /** What was last fetched from `uri` (its fragment aside); null when never, or its dump has left the cache. */
  lookup(uri: string): UriRecord | null {
    try {
      const record = JSON.parse(fs.readFileSync(this.uriFile(uri), 'utf8')) as UriRecord;
      return fs.existsSync(this.entry(record.sha256)) ? record : null;
    } catch {
      return null;
    }
  }

  remember(uri: string, record: UriRecord): void {
    ensurePrivateDir(this.uris);
    writeFileAtomically(this.uriFile(uri), JSON.stringify(record) + '\n');
  }

  /** A new, empty, private file to download into. */
  newPart(): string {
    ensurePrivateDir(this.dir);
    const part = path.join(this.dir, `${crypto.randomBytes(8).toString('hex')}.part`);
    fs.closeSync(fs.openSync(part, 'wx', 0o600));
    return part;
  }

  /** Makes a complete, verified download the entry for its hash, then trims the cache. */
  admit(part: string, sha256: string): string {
    const file = this.entry(sha256);
    commitFile(part, file);
    markUsed(file);
    this.trim(file);
    return file;
  }

  /** Removes the least recently used dumps until the cache fits, never `keep`; and abandoned partial downloads. */
  trim(keep: string): void {
    const entries: { file: string; size: number; usedAt: number }[] = [];
    for (const name of safeReaddir(this.dir)) {
      const file = path.join(this.dir, name);
      const stat = safeStat(file);
      if (!stat?.isFile()) continue;
      if (name.endsWith('.part')) {
        if (Date.now() - stat.mtimeMs > ABANDONED_PART_MS) removeQuietly(file);
      } else if (name.endsWith('.dump')) {
        entries.push({ file, size: stat.size, usedAt: stat.atimeMs });
      }
    }
    let total = entries.reduce((sum, e) => sum + e.size, 0);
    for (const e of entries.sort((a, b) => a.usedAt - b.usedAt)) {
      if (total <= this.maxBytes) break;
      if (e.file === keep) continue;
      removeQuietly(e.file);
      total -= e.size;
    }
  }

  private entry(sha256: string): string {
    return path.join(this.dir, `${sha256}.dump`);
  }

  /** Named by a hash of the URI: a URI can hold credentials, and none is written to disk. */
  private uriFile(uri: string): string {
    return path.join(this.uris, `${crypto.createHash('sha256').update(uri).digest('hex')}.json`);
  }
}

function markUsed(file: string): void {
  fs.utimesSync(file, new Date(), fs.statSync(file).mtime);
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function safeStat(file: string): fs.Stats | null {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}
