import process from 'node:process';
import { expiryOf, reason, requestActionsToken } from './actions-token.js';
import { DittoError, codeForStatus, isErrorCode } from './errors.js';
import { copyId, upRequest } from './request.js';
import type { ClientOptions, Copy, CopyEvent, DittoClient, IssuedCopy, Status, TestDatabase, UpOptions } from './types.js';
import { copyFromWire, eventFromWire, issuedFromWire, listFromWire, statusFromWire, testDatabaseFromWire } from './wire.js';

/** A copy can take a while to make (a restore, a wait for the pool); everything else answers quickly. */
const CREATE_TIMEOUT_MS = 10 * 60_000;
const REQUEST_TIMEOUT_MS = 60_000;
/** Dumps a host can fetch itself; anything else would be a path on this machine. */
const REMOTE_DUMP = /^(https?|s3):\/\//i;
/** An OIDC token this close to its `exp` is not sent again. */
const REFRESH_MARGIN_MS = 60_000;

interface CallOptions {
  body?: unknown;
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
  anonymous?: boolean;
}

/**
 * Remote mode: the /v2 API of a ditto host (`ditto host`) over fetch, with a bearer token:
 * `token`, else DITTO_TOKEN, else inside GitHub Actions an ID token for the host's audience.
 * The host's `{error, code, hint}` answers become DittoErrors with its HTTP status.
 */
export class RemoteClient implements DittoClient {
  readonly mode = 'remote' as const;
  private readonly base: URL;
  private held: { token: string; expiresAt: number } | null = null;

  constructor(
    server: string,
    private readonly options: ClientOptions = {},
  ) {
    let url: URL | null = null;
    try {
      url = new URL(server);
    } catch {
      // below
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new DittoError('BAD_INPUT', `the ditto server '${server}' is not an http(s):// URL`, { hint: 'give the host as http://HOST:PORT (server option or DITTO_SERVER)' });
    }
    // Paths join under the URL's own path: a host behind a prefix (https://ci/ditto) works.
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    url.username = url.password = '';
    this.base = url;
  }

  /** The host's URL, as given. */
  get url(): string {
    return this.base.href.replace(/\/$/, '');
  }

  async up(options: UpOptions = {}): Promise<IssuedCopy> {
    const r = upRequest(options);
    if (r.dump !== undefined && !REMOTE_DUMP.test(r.dump)) {
      throw new DittoError('BAD_INPUT', `the dump ${r.dump} is a local file, which the host at ${this.url} cannot read`, { hint: 'give an http(s):// or s3:// URL the host can fetch' });
    }
    const body = { ttl_seconds: r.ttlSeconds, label: r.label, name: r.name, run_id: r.runId, job_name: r.jobName, dump_uri: r.dump, ...(r.obfuscate ? { obfuscate: true } : {}) };
    const answer = await this.call('POST', 'v2/copies', { body, signal: options.signal, timeoutMs: this.options.timeoutMs ?? CREATE_TIMEOUT_MS });
    return issuedFromWire(answer, this.source);
  }

  async down(id: string): Promise<void> {
    await this.call('DELETE', `v2/copies/${copyId(id)}`);
  }

  async downNamed(name: string): Promise<boolean> {
    const named = listFromWire(await this.call('GET', `v2/copies?${new URLSearchParams({ name })}`), this.source, 'copies', (c) => copyFromWire(c, this.source));
    for (const copy of named) await this.call('DELETE', `v2/copies/${copyId(copy.id)}`);
    return named.length > 0;
  }

  async list(options: { all?: boolean } = {}): Promise<Copy[]> {
    const answer = await this.call('GET', options.all ? 'v2/copies?all=true' : 'v2/copies');
    return listFromWire(answer, this.source, 'copies', (c) => copyFromWire(c, this.source));
  }

  async events(id: string): Promise<CopyEvent[]> {
    return listFromWire(await this.call('GET', `v2/copies/${copyId(id)}/events`), this.source, 'events', eventFromWire);
  }

  async status(): Promise<Status> {
    return statusFromWire(await this.call('GET', 'v2/status'), this.source);
  }

  async createDatabase(id: string): Promise<TestDatabase> {
    return testDatabaseFromWire(await this.call('POST', `v2/copies/${copyId(id)}/databases`), this.source);
  }

  async dropDatabase(id: string, database: string): Promise<void> {
    await this.call('DELETE', `v2/copies/${copyId(id)}/databases/${encodeURIComponent(database)}`);
  }

  async reset(id: string): Promise<IssuedCopy> {
    return issuedFromWire(await this.call('POST', `v2/copies/${copyId(id)}/reset`, { timeoutMs: this.options.timeoutMs ?? CREATE_TIMEOUT_MS }), this.source);
  }

  async extend(id: string, ttlSeconds: number): Promise<Copy> {
    return copyFromWire(await this.call('PATCH', `v2/copies/${copyId(id)}`, { body: { ttl_seconds: ttlSeconds } }), this.source);
  }

  /** The host's OIDC settings (GET /v2/oidc, no token needed); null when it takes no OIDC tokens. */
  async oidc(): Promise<{ issuer: string; audience: string } | null> {
    try {
      const answer = (await this.call('GET', 'v2/oidc', { anonymous: true })) as { issuer?: unknown; audience?: unknown } | null;
      return typeof answer?.issuer === 'string' && typeof answer.audience === 'string' ? { issuer: answer.issuer, audience: answer.audience } : null;
    } catch (err) {
      if (err instanceof DittoError && err.code === 'NOT_FOUND') return null;
      throw err;
    }
  }

  private get source(): string {
    return `the host at ${this.url}`;
  }

  /** The bearer: the token given, DITTO_TOKEN, or a GitHub Actions ID token (asked again only near its expiry). */
  private async bearer(): Promise<string> {
    const given = this.options.token ?? process.env.DITTO_TOKEN;
    if (typeof given === 'function') return given();
    if (given) return given;
    const requestUrl = process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
    const requestToken = process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    if (!requestUrl || !requestToken) {
      throw new DittoError('UNAUTHORIZED', `no token for the host at ${this.url}`, {
        hint: 'set DITTO_TOKEN (or the token option); in GitHub Actions, a job with `permissions: id-token: write` uses an OIDC token instead',
      });
    }
    if (this.held && this.held.expiresAt - Date.now() > REFRESH_MARGIN_MS) return this.held.token;
    const audience = this.options.oidcAudience || process.env.DITTO_OIDC_AUDIENCE || (await this.oidc())?.audience;
    if (!audience) {
      throw new DittoError('UNAUTHORIZED', `no token for the host at ${this.url}, which takes no OIDC tokens`, { hint: 'set DITTO_TOKEN, or ask the operator to set host.oidc' });
    }
    const token = await requestActionsToken(requestUrl, requestToken, audience);
    this.held = { token, expiresAt: expiryOf(token) };
    return token;
  }

  /** One request: the parsed JSON answer (null for 204), or the host's error as a DittoError. */
  private async call(method: string, path: string, opts: CallOptions = {}): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (!opts.anonymous) headers.authorization = `Bearer ${await this.bearer()}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await fetch(new URL(path, this.base), { method, headers, signal, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
      text = await response.text();
    } catch (err) {
      if (opts.signal?.aborted) throw new DittoError('INTERRUPTED', 'interrupted; the host removes a copy it was making for this request');
      if (timeout.aborted) throw new DittoError('REMOTE', `the host at ${this.url} did not answer within ${Math.round(timeoutMs / 1000)}s`);
      throw new DittoError('REMOTE', `cannot reach the ditto host at ${this.url}: ${reason(err)}`, { hint: 'check the server option or DITTO_SERVER, and that `ditto host` runs there', cause: err });
    }
    if (!response.ok) throw failure(response.status, text);
    if (response.status === 204 || text === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new DittoError('REMOTE', `the host at ${this.url} answered ${method} /${path} with something other than JSON`, { status: response.status, hint: 'check that the server names a ditto host' });
    }
  }
}

/** The host's `{"error", "code", "hint"}` answer as the DittoError it was there, with the HTTP status. */
function failure(status: number, text: string): DittoError {
  let body: { error?: unknown; code?: unknown; hint?: unknown } = {};
  try {
    body = (JSON.parse(text) as typeof body | null) ?? {};
  } catch {
    // Not ditto's answer (a proxy's page): the status says enough.
  }
  const code = isErrorCode(body.code) ? body.code : codeForStatus(status);
  const message = typeof body.error === 'string' && body.error ? body.error.split('\n')[0]! : `the host answered ${status}`;
  return new DittoError(code, message, { status, ...(typeof body.hint === 'string' ? { hint: body.hint } : {}) });
}
