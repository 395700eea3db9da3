import { DittoError, type ErrorCode } from '../errors.js';
import type { HttpClient, TokenSource } from './http-client.js';

/** GitHub's runner hands a job with `permissions: id-token: write` these two variables. */
export interface ActionsRunner {
  /** ACTIONS_ID_TOKEN_REQUEST_URL: where to ask for an ID token. */
  url: string;
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN: the bearer that asks; never printed. */
  requestToken: string;
  /** DITTO_OIDC_AUDIENCE: the `aud` to ask for; by default the one the host names at GET /v2/oidc. */
  audience?: string | undefined;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** A token this close to its `exp` is not sent again: a fresh one is asked for (a long `ditto run` outlives the first). */
const REFRESH_MARGIN_MS = 60_000;

/**
 * The bearer the CLI sends to a host: DITTO_TOKEN; else, inside GitHub Actions with
 * `id-token: write`, an ID token asked of the runner on first use; else none.
 */
export function hostToken(env: NodeJS.ProcessEnv = process.env): string | TokenSource | undefined {
  if (env.DITTO_TOKEN) return env.DITTO_TOKEN;
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !requestToken) return undefined;
  return actionsTokenSource({ url, requestToken, audience: env.DITTO_OIDC_AUDIENCE || undefined });
}

/** A source that asks the runner once, and again only when the token it holds is about to expire; concurrent requests share one ask. */
export function actionsTokenSource(runner: ActionsRunner): TokenSource {
  let held: { token: string; expiresAt: number } | null = null;
  let pending: Promise<string> | null = null;
  return (client) => {
    if (held && held.expiresAt - Date.now() > REFRESH_MARGIN_MS) return Promise.resolve(held.token);
    pending ??= (async () => {
      const token = await requestActionsToken(runner, runner.audience ?? (await hostAudience(client)));
      held = { token, expiresAt: expiryOf(token) };
      return token;
    })().finally(() => (pending = null));
    return pending;
  };
}

async function hostAudience(client: HttpClient): Promise<string> {
  const oidc = await client.oidc();
  if (!oidc) {
    throw new DittoError('UNAUTHORIZED', `DITTO_TOKEN is not set, and the host at ${client.url} takes no OIDC tokens`, {
      hint: 'export DITTO_TOKEN=<the token the host operator gave you>, or ask the operator to set host.oidc',
    });
  }
  return oidc.audience;
}

/**
 * GitHub's runner contract: GET ACTIONS_ID_TOKEN_REQUEST_URL with `audience` added to its query,
 * `Authorization: bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN`; the answer is `{"value": "<jwt>"}`.
 * A failure is one DittoError that names the service's host only (neither the request token nor
 * the request URL's path).
 */
export async function requestActionsToken(runner: ActionsRunner, audience: string): Promise<string> {
  const separator = !runner.url.includes('?') ? '?' : /[?&]$/.test(runner.url) ? '' : '&';
  let url: URL;
  try {
    url = new URL(`${runner.url}${separator}audience=${encodeURIComponent(audience)}`);
  } catch {
    throw new DittoError('UNAUTHORIZED', 'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL', { hint: 'set DITTO_TOKEN, or run in a GitHub Actions job with `permissions: id-token: write`' });
  }
  const fail = (code: ErrorCode, why: string) =>
    new DittoError(code, `cannot get an OIDC token from the GitHub Actions token service at ${url.host}: ${why}`, {
      hint: 'check that the job has `permissions: id-token: write`, or set DITTO_TOKEN',
    });
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `bearer ${runner.requestToken}`, accept: 'application/json' }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    throw fail('REMOTE', (err as Error).name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS / 1000}s` : (cause?.code ?? (err as Error).message));
  }
  // The body is not shown: what a failing service says is not ours to print.
  const text = await response.text().catch(() => '');
  if (!response.ok) throw fail(response.status === 401 || response.status === 403 ? 'UNAUTHORIZED' : 'REMOTE', `it answered ${response.status} ${response.statusText}`.trim());
  let value: unknown;
  try {
    value = (JSON.parse(text) as { value?: unknown } | null)?.value;
  } catch {
    throw fail('REMOTE', 'its answer is not JSON');
  }
  if (typeof value !== 'string' || value === '') throw fail('REMOTE', 'its answer holds no token ("value")');
  return value;
}

/** When a JWT expires (its payload's `exp`), read without checking it (the host does); never, if it says nothing. */
function expiryOf(jwt: string): number {
  try {
    const exp = (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : Infinity;
  } catch {
    return Infinity;
  }
}
