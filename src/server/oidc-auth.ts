import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { HostConfig } from '../config/schema.js';
import { oidcOwner, type Caller } from '../model/caller.js';
import { isPrintable } from '../support/printable.js';

export type OidcConfig = NonNullable<HostConfig['oidc']>;

/** A JWT's verdict: its caller, or why it was refused (for the host's log; the caller is told only "invalid token"). */
export type OidcOutcome = { caller: Caller } | { refused: string };

/** Asymmetric signatures only: `none` and HMAC (HS*, where the key is a shared secret, or a public key misused as one) never verify. */
export const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * After a fetch of the issuer's keys, how long a token naming an unknown `kid` waits before it may
 * trigger another (jose's default is 30 s): a rotated key is picked up within seconds, and tokens
 * with made-up kids cost the issuer at most one request per this interval.
 */
const JWKS_COOLDOWN_MS = 5_000;
const FETCH_TIMEOUT_MS = 5_000;

/**
 * The caller a verified token's claims name: owner_claim, a non-empty string; an admin when
 * admin_claim says so. Refused when a claim of required_claims is missing or has another value.
 */
export function callerFromClaims(claims: JWTPayload, config: OidcConfig): OidcOutcome {
  for (const [claim, allowed] of Object.entries(config.required_claims ?? {})) {
    const value = claims[claim];
    if (typeof value !== 'string' || ![allowed].flat().includes(value)) return { refused: `the "${claim}" claim is not one host.oidc.required_claims allows` };
  }
  const owner = claims[config.owner_claim];
  if (typeof owner !== 'string' || owner.trim() === '') return { refused: `the "${config.owner_claim}" claim (host.oidc.owner_claim) is not a non-empty string` };
  if (!isPrintable(owner)) return { refused: `the "${config.owner_claim}" claim (host.oidc.owner_claim) holds control characters` };
  return { caller: { owner: oidcOwner(config.issuer, owner), admin: isAdmin(claims, config) } };
}

/** admin_claim equal to admin_value (or, for a list such as groups, holding it); without admin_value, true or "true". */
function isAdmin(claims: JWTPayload, config: OidcConfig): boolean {
  if (!config.admin_claim) return false;
  const value = claims[config.admin_claim];
  if (config.admin_value === undefined) return value === true || value === 'true';
  return value === config.admin_value || (Array.isArray(value) && value.includes(config.admin_value));
}

/** The issuer's keys could not be had (discovery, fetch, or a key that cannot be used). */
class KeysUnavailable extends Error {}

/**
 * Checks bearer JWTs against host.oidc: the signature with the issuer's JWKS (jose's remote set:
 * cached, refetched on an unknown `kid`), then iss, aud, exp and nbf with clock_skew of leeway.
 * The JWKS URL is jwks_url, or found once through the issuer's openid-configuration, on the first
 * token that gets as far as needing a key (a failed discovery is tried again by the next token).
 */
export class OidcAuth {
  private keySet: Promise<ReturnType<typeof createRemoteJWKSet>> | null = null;

  constructor(private readonly config: OidcConfig) {}

  async check(token: string): Promise<OidcOutcome> {
    const { config } = this;
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: config.issuer,
        audience: config.audience,
        clockTolerance: config.clock_skew,
        algorithms: OIDC_ALGORITHMS,
        requiredClaims: ['exp'],
      });
      return callerFromClaims(payload, config);
    } catch (err) {
      return { refused: reasonOf(err, token) };
    }
  }

  /** jose's key lookup, behind a lazy discovery; failures to get keys become KeysUnavailable, a missing `kid` stays jose's. */
  private readonly key: JWTVerifyGetKey = async (header, input) => {
    const keys = await this.keys();
    try {
      return await keys(header, input);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JWKSTimeout) throw err;
      throw new KeysUnavailable(`cannot use the issuer's keys: ${describe(err)}`);
    }
  };

  private keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (!this.keySet) {
      const made = this.jwksUrl().then((url) => createRemoteJWKSet(url, { cooldownDuration: JWKS_COOLDOWN_MS, timeoutDuration: FETCH_TIMEOUT_MS }));
      // A failed discovery is forgotten, so the next token tries again.
      made.catch(() => {
        if (this.keySet === made) this.keySet = null;
      });
      this.keySet = made;
    }
    return this.keySet;
  }

  private async jwksUrl(): Promise<URL> {
    if (this.config.jwks_url) return new URL(this.config.jwks_url);
    const discovery = `${this.config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let document: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const response = await fetch(discovery, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`it answered ${response.status}`);
      document = (await response.json()) as typeof document;
    } catch (err) {
      throw new KeysUnavailable(`discovery at ${discovery} failed: ${describe(err)}`);
    }
    // OpenID Connect Discovery: the document's issuer is the one asked about, else its keys are not this issuer's.
    if (document.issuer !== this.config.issuer) throw new KeysUnavailable(`discovery at ${discovery} names another issuer (${String(document.issuer)})`);
    if (typeof document.jwks_uri !== 'string') throw new KeysUnavailable(`discovery at ${discovery} has no jwks_uri`);
    try {
      return new URL(document.jwks_uri);
    } catch {
      throw new KeysUnavailable(`discovery at ${discovery} has an invalid jwks_uri`);
    }
  }
}

/** Why jose refused a token, in words for the log; nothing of the token itself but its header's alg. */
function reasonOf(err: unknown, token: string): string {
  if (err instanceof KeysUnavailable) return err.message;
  if (err instanceof errors.JWTExpired) return 'token expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return `token has no "${err.claim}" claim`;
    const named: Record<string, string> = { nbf: 'token not yet valid', iss: 'wrong issuer', aud: 'wrong audience' };
    return named[err.claim] ?? `the "${err.claim}" claim is refused`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return `signing algorithm ${algOf(token)} is not allowed`;
  if (err instanceof errors.JWKSNoMatchingKey) return 'unknown signing key';
  if (err instanceof errors.JWKSMultipleMatchingKeys) return 'several of the issuer keys match the token';
  if (err instanceof errors.JWKSTimeout) return "the issuer's keys did not arrive in time";
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  return 'malformed token';
}

function algOf(token: string): string {
  try {
    const alg = decodeProtectedHeader(token).alg;
    return typeof alg === 'string' ? JSON.stringify(alg.slice(0, 16)) : '(none given)';
  } catch {
    return '(unreadable)';
  }
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
  return `${err instanceof Error ? err.message : String(err)}${code}`;
}
