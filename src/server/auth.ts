import crypto from 'node:crypto';
import type { HostConfig } from '../config/schema.js';
import { tokenOwner, type Caller } from '../model/caller.js';
import { resolveSecret } from '../config/secrets.js';
import { DittoError } from '../errors.js';
import { OidcAuth } from './oidc-auth.js';

interface Entry {
  digest: Buffer;
  caller: Caller;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function digest(token: string): Buffer {
  return crypto.createHash('sha256').update(token, 'utf8').digest();
}

const STATIC_HINT = 'check DITTO_TOKEN against the host operator';
const OIDC_HINT = 'check DITTO_TOKEN against the host operator; an OIDC token must be unexpired, from the host\'s issuer and for its audience (GET /v2/oidc)';

/**
 * A refused bearer. Every reason gets the same answer ("invalid token" and one hint), so a caller
 * learns nothing of which check failed; the reason is for the host's log.
 */
export class AuthRefused extends DittoError {
  constructor(
    readonly reason: string,
    hint: string,
  ) {
    super('UNAUTHORIZED', 'invalid token', { hint });
  }
}

/**
 * Bearer tokens from host.tokens and host.admin_tokens, resolved once at start. A presented token
 * is compared with every configured one over equal-length SHA-256 digests with timingSafeEqual,
 * without stopping at a match, so neither the timing nor the length of a token leaks. With
 * host.oidc, a bearer that is none of them is checked as a JWT of the configured issuer.
 */
export class TokenAuth {
  private constructor(
    private readonly entries: Entry[],
    private readonly oidc: OidcAuth | null,
  ) {}

  static fromConfig(host: HostConfig): TokenAuth {
    const entries: Entry[] = [];
    const add = (list: HostConfig['tokens'], key: string, admin: boolean) =>
      list.forEach((t, i) => entries.push({ digest: digest(resolveSecret(t.token, `${key}[${i}].token`)), caller: { owner: tokenOwner(t.name), admin } }));
    add(host.tokens, 'host.tokens', false);
    add(host.admin_tokens, 'host.admin_tokens', true);
    if (entries.length === 0 && !host.oidc) {
      throw new DittoError('CONFIG', 'the host has no tokens: every caller would be refused', {
        hint: 'add host.tokens (and host.admin_tokens) to ditto.yaml: a list of {name, token}; a token may be env:NAME or file:PATH; or host.oidc for callers with OIDC tokens',
      });
    }
    const seen = new Set<string>();
    for (const entry of entries) {
      const hex = entry.digest.toString('hex');
      if (seen.has(hex)) throw new DittoError('CONFIG', `host: two callers share one token (one of them is '${entry.caller.owner}')`, { hint: 'give every caller its own token' });
      seen.add(hex);
    }
    return new TokenAuth(entries, host.oidc ? new OidcAuth(host.oidc) : null);
  }

  /** How many static tokens are configured. */
  get size(): number {
    return this.entries.length;
  }

  /** The caller an Authorization header names; UNAUTHORIZED when it names none (AuthRefused, with the reason, for a bearer refused). */
  async authenticate(header: string | undefined): Promise<Caller> {
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (token === undefined) {
      throw new DittoError('UNAUTHORIZED', 'missing bearer token', { hint: 'send Authorization: Bearer <token> (the CLI sends DITTO_TOKEN)' });
    }
    const presented = digest(token);
    let found: Caller | undefined;
    for (const entry of this.entries) {
      if (crypto.timingSafeEqual(presented, entry.digest) && !found) found = entry.caller;
    }
    if (found) return found;
    if (!this.oidc) throw new AuthRefused('no such token', STATIC_HINT);
    const outcome = await this.oidc.check(token);
    if ('refused' in outcome) throw new AuthRefused(outcome.refused, OIDC_HINT);
    return outcome.caller;
  }
}
