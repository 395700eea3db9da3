import type { CopyEvent } from '../model/copy.js';
import { isFinal } from '../model/copy.js';
import { findByIdOrPrefix } from '../model/copy-id.js';
import { DittoError, isErrorCode, type ErrorCode } from '../errors.js';
import { trustedCas } from '../config/trusted-cas.js';
import type { Dispatcher } from 'undici';
import { schemaFromWire, sqlRequestWire, sqlResultFromWire } from '../api/sql-wire.js';
import type { DbSchema } from '../model/schema.js';
import type { SqlRequest, SqlResult } from '../model/sql.js';
import { copyFromWire, eventFromWire, issuedFromWire, statusFromWire, testDatabaseFromWire, type StatusWire } from '../api/wire.js';
import { selects, type CopyClient, type CopyInfo, type DownResult, type DownSelector, type IssuedCopy, type ListOptions, type StatusReport, type TestDatabase, type UpOptions, type UpRequest } from '../model/copy-client.js';

/** A copy can take a while to make (restore, a wait for the pool); everything else answers quickly. */
const CREATE_TIMEOUT_MS = 10 * 60_000;
const REQUEST_TIMEOUT_MS = 60_000;
/** Dumps a host can fetch itself; anything else would be a path on the caller's disk. */
const REMOTE_DUMP = /^(https?|s3):\/\//i;

/** When an answer carries no ditto error code: the code its status stands for. */
const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'BAD_INPUT',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'TOO_LARGE',
  429: 'QUOTA',
  499: 'INTERRUPTED',
  503: 'NO_CAPACITY',
  507: 'NO_SPACE',
};

type Wire = Record<string, unknown>;

/**
 * Where the bearer comes from when it is not a fixed DITTO_TOKEN: asked before every request
 * (a GitHub Actions ID token, see actions-token.ts), so the source decides how long one is reused.
 */
export type TokenSource = (client: HttpClient) => Promise<string | undefined>;

/**
 * The CopyClient of `--remote URL` (DITTO_SERVER): every call is a /v2 request to a ditto host,
 * authenticated with DITTO_TOKEN, and every failure the host reports comes back as the same
 * DittoError (code, message, hint) it would be locally, so commands print and exit alike.
 */
export class HttpClient implements CopyClient {
  private readonly base: URL;

  /** The HTTPS agent that trusts the system's CAs and DITTO_CA_FILE's; made on the first request. */
  private agent: Dispatcher | null = null;

  constructor(
    url: string,
    private readonly token: string | undefined | TokenSource,
    private readonly options: HttpClientOptions = {},
  ) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new DittoError('BAD_INPUT', `--remote '${url}' is not a URL`, { hint: 'give the host as http://HOST:PORT (or set DITTO_SERVER)' });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new DittoError('BAD_INPUT', `--remote '${url}' is not an http(s):// URL`, { hint: 'give the host as http://HOST:PORT (or set DITTO_SERVER)' });
    }
    // Paths are joined under the URL's own path: a host behind a prefix (https://ci/ditto) works.
    if (!parsed.pathname.endsWith('/')) parsed.pathname += '/';
    this.base = parsed;
  }

  /** The host's URL, as given. */
  get url(): string {
    return this.base.toString().replace(/\/$/, '');
  }

  async up(request: UpRequest, options: UpOptions = {}): Promise<IssuedCopy> {
    if (request.dumpUri !== undefined && !REMOTE_DUMP.test(request.dumpUri)) {
      throw new DittoError('BAD_INPUT', `--dump ${request.dumpUri} is a local file, which the host at ${this.url} cannot read`, {
        hint: 'give an http(s):// or s3:// URL the host can fetch, or run without --remote',
      });
    }
    options.onProgress?.(`Asking the host at ${this.url}`);
    const body = {
      ttl_seconds: request.ttlSeconds,
      label: request.label,
      name: request.name,
      run_id: request.runId,
      job_name: request.jobName,
      dump_uri: request.dumpUri,
      obfuscate: request.obfuscate,
    };
    const answer = (await this.call('POST', 'v2/copies', { body, signal: options.signal, timeoutMs: CREATE_TIMEOUT_MS })) as Wire;
    return issuedFromWire(answer);
  }

  async down(selector: DownSelector): Promise<DownResult> {
    let targets: CopyInfo[];
    const alreadyGone: string[] = [];
    if (selector.ids?.length) {
      // Every id is looked up before any is destroyed, so a typo destroys nothing (as locally).
      const found = await Promise.all(selector.ids.map((id) => this.lookup(id)));
      targets = found.filter((c) => !isFinal(c.status));
      alreadyGone.push(...found.filter((c) => isFinal(c.status)).map((c) => c.id));
    } else if (selector.name !== undefined) {
      targets = await this.list({ name: selector.name });
    } else if (selector.all || selector.label !== undefined || selector.runId !== undefined) {
      targets = (await this.list()).filter((c) => selects(selector, c));
    } else {
      throw new DittoError('BAD_INPUT', 'name the copies to destroy', { hint: 'give ids, --all, --label L, --run-id ID or --name NAME' });
    }
    const destroyed: CopyInfo[] = [];
    for (const copy of targets) {
      await this.call('DELETE', this.copyPath(copy.id));
      destroyed.push({ ...copy, status: 'destroyed', destroyedAt: Date.now() });
    }
    return { destroyed, alreadyGone };
  }

  /** `name`: only the caller's own live copy of that name. */
  async list(options: ListOptions & { name?: string } = {}): Promise<CopyInfo[]> {
    const query = new URLSearchParams({
      ...(options.all ? { all: 'true' } : {}),
      ...(options.diskBytes ? { disk_bytes: 'true' } : {}),
      ...(options.name !== undefined ? { name: options.name } : {}),
    }).toString();
    const answer = await this.call('GET', query ? `v2/copies?${query}` : 'v2/copies');
    if (!Array.isArray(answer)) throw new DittoError('REMOTE', `the host at ${this.url} answered GET /v2/copies with something other than a list`);
    return (answer as Wire[]).map(copyFromWire);
  }

  async events(id: string): Promise<CopyEvent[]> {
    const answer = await this.call('GET', `${this.copyPath(id)}/events`);
    if (!Array.isArray(answer)) throw new DittoError('REMOTE', `the host at ${this.url} answered with something other than a list of events`);
    return (answer as Wire[]).map((e) => eventFromWire(e, id));
  }

  async extend(id: string, ttlSeconds: number): Promise<CopyInfo> {
    return copyFromWire((await this.call('PATCH', this.copyPath(id), { body: { ttl_seconds: ttlSeconds } })) as Wire);
  }

  async reset(id: string, options: UpOptions = {}): Promise<IssuedCopy> {
    options.onProgress?.(`Asking the host at ${this.url} to reset ${id}`);
    return issuedFromWire((await this.call('POST', `${this.copyPath(id)}/reset`, { signal: options.signal, timeoutMs: CREATE_TIMEOUT_MS })) as Wire);
  }

  async createDatabase(id: string): Promise<TestDatabase> {
    return testDatabaseFromWire((await this.call('POST', `${this.copyPath(id)}/databases`)) as Wire);
  }

  async dropDatabase(id: string, name: string): Promise<void> {
    await this.call('DELETE', `${this.copyPath(id)}/databases/${encodeURIComponent(name)}`);
  }

  async sql(id: string, request: SqlRequest, options: { signal?: AbortSignal | undefined } = {}): Promise<SqlResult> {
    const body = sqlRequestWire(request.sql, request.database, request.limits);
    // The host ends the statement at its timeout: the answer is waited for that long, and the usual time besides.
    const timeoutMs = Math.min(request.limits.timeoutMs, CREATE_TIMEOUT_MS) + REQUEST_TIMEOUT_MS;
    return sqlResultFromWire((await this.call('POST', `${this.copyPath(id)}/sql`, { body, signal: options.signal, timeoutMs })) as Wire);
  }

  async schema(id: string, options: { database?: string | undefined } = {}): Promise<DbSchema> {
    const query = options.database ? `?${new URLSearchParams({ database: options.database }).toString()}` : '';
    return schemaFromWire((await this.call('GET', `${this.copyPath(id)}/schema${query}`)) as Wire);
  }

  private copyPath(id: string): string {
    return `v2/copies/${encodeURIComponent(id)}`;
  }

  async status(): Promise<StatusReport> {
    return statusFromWire((await this.call('GET', 'v2/status')) as StatusWire, this.url);
  }

  /** The host's OIDC settings (GET /v2/oidc, no token needed); null when it takes no OIDC tokens. */
  /** Whether the host answers at all (GET /healthz, no token needed): throws why it does not. */
  async health(): Promise<void> {
    await this.call('GET', 'healthz', { anonymous: true });
  }

  async oidc(): Promise<{ issuer: string; audience: string } | null> {
    try {
      const answer = (await this.call('GET', 'v2/oidc', { anonymous: true })) as { issuer?: unknown; audience?: unknown } | null;
      return typeof answer?.issuer === 'string' && typeof answer.audience === 'string' ? { issuer: answer.issuer, audience: answer.audience } : null;
    } catch (err) {
      if (err instanceof DittoError && err.code === 'NOT_FOUND') return null;
      throw err;
    }
  }

  async close(): Promise<void> {}

  private async get(id: string): Promise<CopyInfo> {
    return copyFromWire((await this.call('GET', this.copyPath(id))) as Wire);
  }

  /**
   * A copy by id or unambiguous prefix. An established v2 host has no GET /v2/copies/{id} (it
   * answers 404 to it): the caller's list then says whether the id is theirs, and DELETE does the rest.
   */
  private async lookup(id: string): Promise<CopyInfo> {
    try {
      return await this.get(id);
    } catch (err) {
      if (!(err instanceof DittoError) || err.code !== 'NOT_FOUND') throw err;
      return findByIdOrPrefix(await this.list({ all: true }), id);
    }
  }

  /**
   * fetch over plain HTTP; over HTTPS, undici's fetch with an agent that trusts the system's store
   * and DITTO_CA_FILE (Node's own fetch takes no CA list).
   */
  private async fetch(url: URL, init: RequestInit): Promise<Response> {
    if (url.protocol !== 'https:') return fetch(url, init);
    const undici = await import('undici');
    this.agent ??= new undici.Agent({ connect: { ca: trustedCas(this.options.caFile ? [{ file: this.options.caFile, what: 'DITTO_CA_FILE' }] : []) } });
    return (await undici.fetch(url, { ...(init as object), dispatcher: this.agent })) as unknown as Response;
  }

  /** One request; the parsed JSON answer (null for 204), or the host's error as a DittoError. */
  private async call(method: string, path: string, opts: { body?: unknown; signal?: AbortSignal | undefined; timeoutMs?: number; anonymous?: boolean } = {}): Promise<unknown> {
    const token = opts.anonymous ? undefined : typeof this.token === 'function' ? await this.token(this) : this.token;
    if (!token && !opts.anonymous) {
      throw new DittoError('UNAUTHORIZED', `DITTO_TOKEN is not set; the host at ${this.url} needs a token`, {
        hint: 'export DITTO_TOKEN=<the token the host operator gave you>; in GitHub Actions, a job with `permissions: id-token: write` uses an OIDC token instead',
      });
    }
    const authorization: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout.signal]) : timeout.signal;
    try {
      const response = await this.fetch(new URL(path, this.base), {
        method,
        headers: { ...authorization, accept: 'application/json', ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        signal,
      });
      const text = await response.text();
      if (!response.ok) throw failure(response, text);
      if (response.status === 204 || text === '') return null;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new DittoError('REMOTE', `the host at ${this.url} answered ${method} /${path} with something other than JSON`, { hint: 'check that --remote names a ditto host' });
      }
    } catch (err) {
      if (err instanceof DittoError) throw err;
      if (opts.signal?.aborted) throw new DittoError('INTERRUPTED', 'interrupted; the host removes a copy it was making for this request');
      if (timeout.signal.aborted) throw new DittoError('REMOTE', `the host at ${this.url} did not answer within ${Math.round(timeoutMs / 1000)}s`);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      if (cause?.code && UNTRUSTED_CERTIFICATE.test(cause.code)) {
        throw new DittoError('REMOTE', `the ditto host at ${this.url} presented a certificate this machine does not trust (${cause.code})`, {
          hint: this.options.caFile ? `check that DITTO_CA_FILE (${this.options.caFile}) holds the CA that signed the host's certificate` : "set DITTO_CA_FILE to the PEM file of the CA that signed the host's certificate",
        });
      }
      throw new DittoError('REMOTE', `cannot reach the ditto host at ${this.url}: ${cause?.code ?? codeOfMessage(cause?.message ?? (err as Error).message)}`, {
        hint: 'check --remote / DITTO_SERVER, and that `ditto host` runs there',
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface HttpClientOptions {
  /** A PEM file of CAs to trust besides the system's (DITTO_CA_FILE): the host's own, or a company's. */
  caFile?: string | undefined;
}

/**
 * Deno's fetch names no error code, only a chain of messages ("error sending request for url
 * (...): client error (Connect): tcp connect error: Connection refused (os error 111)"): the
 * common ones are said as Node.js says them, anything else as it came.
 */
const MESSAGE_CODES: [RegExp, string][] = [
  [/connection refused/i, 'ECONNREFUSED'],
  [/dns error|failed to lookup address/i, 'ENOTFOUND'],
  [/connection reset/i, 'ECONNRESET'],
  [/timed out/i, 'ETIMEDOUT'],
];

function codeOfMessage(message: string): string {
  return MESSAGE_CODES.find(([pattern]) => pattern.test(message))?.[1] ?? message;
}

/** Why a TLS handshake refused the host's certificate (Node's error codes). */
const UNTRUSTED_CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

/** The host's `{"error", "code", "hint"}` answer as the DittoError it was there. */
function failure(response: Response, text: string): DittoError {
  let body: { error?: unknown; code?: unknown; hint?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not ours (a proxy's page): the status says enough.
  }
  const code = typeof body.code === 'string' && isErrorCode(body.code) ? body.code : (STATUS_CODES[response.status] ?? 'REMOTE');
  const message = typeof body.error === 'string' && body.error ? body.error.split('\n')[0]! : `the host answered ${response.status} ${response.statusText}`;
  return new DittoError(code, message, typeof body.hint === 'string' ? { hint: body.hint } : {});
}
