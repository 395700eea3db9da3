import crypto from 'node:crypto';
import type { HostConfig } from '../config/schema.js';
import type { Caller } from '../model/caller.js';
import { resolveSecret } from '../config/secrets.js';
import { DittoError } from '../errors.js';

interface Entry {
  digest: Buffer;
  caller: Caller;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function digest(token: string): Buffer {
  return crypto.createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Bearer tokens from host.tokens and host.admin_tokens, resolved once at start. A presented token
 * is compared with every configured one over equal-length SHA-256 digests with timingSafeEqual,
 * without stopping at a match, so neither the timing nor the length of a token leaks.
 */
export class TokenAuth {
  private constructor(private readonly entries: Entry[]) {}

  static fromConfig(host: HostConfig): TokenAuth {
    const entries: Entry[] = [];
    const add = (list: HostConfig['tokens'], key: string, admin: boolean) =>
      list.forEach((t, i) => entries.push({ digest: digest(resolveSecret(t.token, `${key}[${i}].token`)), caller: { name: t.name, admin } }));
    add(host.tokens, 'host.tokens', false);
    add(host.admin_tokens, 'host.admin_tokens', true);
    if (entries.length === 0) {
      throw new DittoError('CONFIG', 'the host has no tokens: every caller would be refused', {
        hint: 'add host.tokens (and host.admin_tokens) to ditto.yaml: a list of {name, token}; a token may be env:NAME or file:PATH',
      });
    }
    const seen = new Set<string>();
    for (const entry of entries) {
      const hex = entry.digest.toString('hex');
      if (seen.has(hex)) throw new DittoError('CONFIG', `host: two callers share one token (one of them is '${entry.caller.name}')`, { hint: 'give every caller its own token' });
      seen.add(hex);
    }
    return new TokenAuth(entries);
  }

  /** How many tokens are configured. */
  get size(): number {
    return this.entries.length;
  }

  /** The caller an Authorization header names; UNAUTHORIZED when it names none. */
  authenticate(header: string | undefined): Caller {
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (token === undefined) {
      throw new DittoError('UNAUTHORIZED', 'missing bearer token', { hint: 'send Authorization: Bearer <token> (the CLI sends DITTO_TOKEN)' });
    }
    const presented = digest(token);
    let found: Caller | undefined;
    for (const entry of this.entries) {
      if (crypto.timingSafeEqual(presented, entry.digest) && !found) found = entry.caller;
    }
    if (!found) throw new DittoError('UNAUTHORIZED', 'invalid token', { hint: 'check DITTO_TOKEN against the host operator' });
    return found;
  }
}
