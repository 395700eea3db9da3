import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir } from './private-dir.js';

/**
 * Creates `file` empty with mode 0600 (replacing any leftover), so whatever a tool writes into
 * it later is private from its first byte: the tool truncates it and keeps the mode.
 */
export function createPrivateFile(file: string): void {
  removeQuietly(file);
  fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600));
}

/**
 * Moves a finished `tmp` over `target` so that a crash at any moment leaves either the old file or
 * the new one, whole: the data is synced before the rename, and the directory entry after it.
 */
export function commitFile(tmp: string, target: string): void {
  const fd = fs.openSync(tmp, 'r+');
  try {
    fs.fchmodSync(fd, 0o600);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, target);
  syncDir(path.dirname(target));
}

export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes a small file atomically (tmp + rename), mode 0600. */
export function writeFileAtomically(target: string, content: string): void {
  const tmp = `${target}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, content, { mode: 0o600 });
    commitFile(tmp, target);
  } finally {
    removeQuietly(tmp);
  }
}

export function removeQuietly(file: string): void {
  fs.rmSync(file, { force: true });
}

/** Makes the directory a dump goes in: private (0700) when ditto owns it, as the default location under the home is. */
export function ensureDumpDir(dir: string, owned: boolean): void {
  if (owned) ensurePrivateDir(dir);
  else fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** The sha256 of a file's content, hex. */
export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
