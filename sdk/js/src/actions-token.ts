import { DittoError } from './errors.js';

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * A GitHub Actions ID token (a job with `permissions: id-token: write`): GET
 * ACTIONS_ID_TOKEN_REQUEST_URL with `audience` added to its query, `Authorization: bearer
 * ACTIONS_ID_TOKEN_REQUEST_TOKEN`; the answer is `{"value": "<jwt>"}`. A failure names the
 * service's host only, never the request token or the URL's path.
 */
export async function requestActionsToken(requestUrl: string, requestToken: string, audience: string): Promise<string> {
  const separator = !requestUrl.includes('?') ? '?' : /[?&]$/.test(requestUrl) ? '' : '&';
  let url: URL;
  try {
    url = new URL(`${requestUrl}${separator}audience=${encodeURIComponent(audience)}`);
  } catch {
    throw new DittoError('UNAUTHORIZED', 'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL', { hint: 'give a token, or run in a GitHub Actions job with `permissions: id-token: write`' });
  }
  const fail = (code: 'UNAUTHORIZED' | 'REMOTE', why: string, status?: number) =>
    new DittoError(code, `cannot get an OIDC token from the GitHub Actions token service at ${url.host}: ${why}`, {
      ...(status === undefined ? {} : { status }),
      hint: 'check that the job has `permissions: id-token: write`, or give a token',
    });
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `bearer ${requestToken}`, accept: 'application/json' }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    throw fail('REMOTE', (err as Error).name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS / 1000}s` : reason(err).replaceAll(url.href, url.host));
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) throw fail(response.status === 401 || response.status === 403 ? 'UNAUTHORIZED' : 'REMOTE', `it answered ${response.status}`, response.status);
  let value: unknown;
  try {
    value = (JSON.parse(text) as { value?: unknown } | null)?.value;
  } catch {
    throw fail('REMOTE', 'its answer is not JSON');
  }
  if (typeof value !== 'string' || value === '') throw fail('REMOTE', 'its answer holds no token ("value")');
  return value;
}

/** When a JWT expires (its payload's `exp`, in ms), read without checking it: the host checks. */
export function expiryOf(jwt: string): number {
  try {
    const payload = (jwt.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/');
    const exp = (JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, '='))) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : Infinity;
  } catch {
    return Infinity;
  }
}

/** Why a fetch failed, as the runtime says it (Node: the cause's code, e.g. ECONNREFUSED). */
export function reason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
