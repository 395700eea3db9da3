import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DittoError } from '../../errors.js';

export interface Account {
  name: string;
  uid: number;
  gid: number;
}

/**
 * The account local servers run as. Database servers refuse to run as root, so when ditto runs as
 * root they run as `configured` (local.user), else the engine's own account (`postgres`, `mysql`),
 * else `nobody`. Otherwise: null, as ourselves.
 */
export function serverAccount(configured: string | undefined, engineAccount: string): Account | null {
  if (process.getuid?.() !== 0) return null;
  const names = configured ? [configured] : [engineAccount, 'nobody'];
  for (const name of names) {
    const account = lookup(name);
    if (account) return account;
  }
  throw new DittoError('CONFIG', `user '${names[0]}' does not exist to run database servers as`, {
    hint: 'set local.user in ditto.yaml to an unprivileged account',
  });
}

/** The account's passwd entry: getent (which asks NSS), else /etc/passwd itself. */
function passwdEntry(name: string): string | null {
  try {
    return execFileSync('getent', ['passwd', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    try {
      return fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((line) => line.startsWith(`${name}:`)) ?? null;
    } catch {
      return null;
    }
  }
}

function lookup(name: string): Account | null {
  const entry = passwdEntry(name);
  if (!entry) return null;
  const fields = entry.trim().split(':');
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) return null;
  return { name, uid, gid };
}

export function chown(file: string, account: Account | null): void {
  if (account) fs.chownSync(file, account.uid, account.gid);
}

/** Writes `files` (name -> content) into `dir`, readable by the server's account only; returns their paths. */
export function writePrivateFiles(dir: string, files: Record<string, string>, account: Account | null): string[] {
  return Object.entries(files).map(([name, content]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content, { mode: 0o600 });
    chown(file, account);
    return file;
  });
}
