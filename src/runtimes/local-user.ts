import { execFileSync } from 'node:child_process';
import { DittoError } from '../errors.js';

export interface Account {
  name: string;
  uid: number;
  gid: number;
}

/**
 * The account local servers run as. PostgreSQL refuses to run as root, so when ditto runs as root
 * the servers run as `configured`, else `postgres`, else `nobody`. Otherwise: null, as ourselves.
 */
export function serverAccount(configured: string | undefined): Account | null {
  if (process.getuid?.() !== 0) return null;
  const names = configured ? [configured] : ['postgres', 'nobody'];
  for (const name of names) {
    const account = lookup(name);
    if (account) return account;
  }
  throw new DittoError('CONFIG', `user '${names[0]}' does not exist to run database servers as`, {
    hint: 'set local.user in ditto.yaml to an unprivileged account',
  });
}

function lookup(name: string): Account | null {
  try {
    const entry = execFileSync('getent', ['passwd', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const fields = entry.trim().split(':');
    const uid = Number(fields[2]);
    const gid = Number(fields[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) return null;
    return { name, uid, gid };
  } catch {
    return null;
  }
}
