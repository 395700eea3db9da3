import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { DittoError } from '../errors.js';

/**
 * The dashboard's session: the caller's own token (static or an OIDC JWT), held by the browser in
 * a cookie it never shows to scripts, and checked on every request exactly as a bearer is.
 *
 * - `__Host-` prefix, HttpOnly, Secure, SameSite=Strict, Path=/: the browser sends it only to this
 *   host, over HTTPS or to a loopback address (browsers take Secure cookies from http://127.0.0.1
 *   and http://localhost, which are secure contexts), never on a request another site starts.
 * - CSRF: beyond SameSite, a request that changes something and is authenticated by the cookie
 *   must carry the `X-Ditto-Csrf` header (no other site can send a custom header without a CORS
 *   preflight, which the host never allows) and must not say it comes from another site
 *   (`Sec-Fetch-Site`, `Origin`). Bearer requests carry their credential themselves: unaffected.
 */
export const SESSION_COOKIE = '__Host-ditto_session';
export const CSRF_HEADER = 'x-ditto-csrf';

/** How long the browser keeps a session; the token is checked on every request all the same (an expired JWT is refused). */
export const SESSION_SECONDS = 12 * 3600;

const UNSAFE = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** The token in the session cookie, if the request carries one. */
export function sessionToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim()) || undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The credential of a request as an Authorization header: its own, else the session cookie's token
 * as a bearer (`viaCookie`). A bearer wins over a cookie, so API clients are never affected by one.
 */
export function credentialOf(req: IncomingMessage): { authorization: string | undefined; viaCookie: boolean } {
  if (req.headers.authorization !== undefined) return { authorization: req.headers.authorization, viaCookie: false };
  const token = sessionToken(req);
  return token === undefined ? { authorization: undefined, viaCookie: false } : { authorization: `Bearer ${token}`, viaCookie: true };
}

/** Whether `req` must pass the CSRF check: it changes something, and a browser's cookie (or the sign-in form) speaks for it. */
export function needsCsrfCheck(req: IncomingMessage, viaCookie: boolean, sessionRoute: boolean): boolean {
  return UNSAFE.has(req.method ?? 'GET') && (viaCookie || sessionRoute);
}

/** Refuses a cross-site or header-less browser request (see above). */
export function checkCsrf(req: IncomingMessage): void {
  const refuse = (why: string) => {
    throw new DittoError('FORBIDDEN', `cross-site request refused: ${why}`, { hint: 'use the dashboard on this host, or send Authorization: Bearer <token> instead of the session cookie' });
  };
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') refuse(`Sec-Fetch-Site is ${site}`);
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null' && hostOf(origin) !== req.headers.host) refuse('its Origin is another site');
  if (origin === 'null') refuse('its Origin is opaque');
  if (req.headers[CSRF_HEADER] === undefined) refuse(`the ${CSRF_HEADER} header is missing`);
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/** The Set-Cookie header that keeps `token` for SESSION_SECONDS. */
export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; Max-Age=${SESSION_SECONDS}; Path=/; HttpOnly; Secure; SameSite=Strict`;
}

/** The Set-Cookie header that removes the session. */
export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict`;
}

/**
 * Whether a browser keeps a Secure cookie from this connection: it came over TLS, or to a loopback
 * address (a secure context for browsers). On plain HTTP from another machine the browser would
 * drop the cookie silently; sign-in says so instead.
 */
export function keepsSecureCookie(req: IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  const local = (req.socket.localAddress ?? '').replace(/^::ffff:/, '');
  return isIP(local) !== 0 && (local === '::1' || local.startsWith('127.'));
}
