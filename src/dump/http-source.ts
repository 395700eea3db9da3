import http from 'node:http';
import https from 'node:https';
import { DittoError } from '../errors.js';
import type { UriRecord } from './dump-cache.js';
import type { RemoteObject } from './remote.js';
import { maskUrl } from '../config/secrets.js';
import { trustedCas } from '../config/trusted-cas.js';
import { normalizeDumpUri } from './uri-policy.js';

const MAX_REDIRECTS = 5;
const CONNECT_TIMEOUT_MS = 15_000;
/** A download that stalls this long is given up. */
const IDLE_TIMEOUT_MS = 60_000;

export interface HttpOptions {
  /** PEM files of extra CAs to trust (dump.ca_file). */
  caFile?: string | undefined;
  /** Where a redirect may lead (a host's dump_uris, for its callers): each hop is checked in the form it is then fetched. */
  allowed?: { allows(uri: string): boolean } | undefined;
}

/**
 * GETs an http(s) dump, conditionally on the validators of what was fetched before (a 304 means the
 * cached copy is current). Redirects are followed a few times, each to a URL `opts.allowed` allows
 * (when given) in its normal form, which is what is then fetched; any other non-2xx is an error.
 */
export async function fetchHttp(uri: string, known: UriRecord | null, opts: HttpOptions, signal?: AbortSignal): Promise<RemoteObject> {
  let url = new URL(uri);
  url.hash = '';
  // Node's defaults, unless dump.ca_file adds a CA.
  const ca = opts.caFile ? trustedCas([{ file: opts.caFile, what: 'dump.ca_file' }]) : undefined;
  for (let hop = 0; ; hop++) {
    const res = await get(url, known, ca, signal);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && status !== 304 && res.headers.location) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new DittoError('REMOTE', `${maskUrl(uri)} redirects more than ${MAX_REDIRECTS} times`);
      const next = new URL(res.headers.location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new DittoError('REMOTE', `${maskUrl(uri)} redirects to a ${next.protocol} URL`);
      url = opts.allowed ? allowedHop(uri, next, opts.allowed) : next;
      continue;
    }
    const etag = header(res, 'etag');
    const lastModified = header(res, 'last-modified');
    if (status === 304) {
      res.resume();
      return { body: null, length: null, etag, lastModified, md5: null };
    }
    if (status < 200 || status >= 300) {
      res.resume();
      const what = `${maskUrl(uri)} answered HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
      if (status === 404 || status === 410) throw new DittoError('NOT_FOUND', `dump ${what}`, { hint: 'check the URL' });
      if (status === 401 || status === 403) throw new DittoError('REMOTE', `dump ${what}`, { hint: 'the server refused access: check the URL and its credentials' });
      throw new DittoError('REMOTE', `dump ${what}`, { hint: 'try again later, or check the server' });
    }
    const length = header(res, 'content-length');
    const md5 = header(res, 'content-md5');
    res.setTimeout(IDLE_TIMEOUT_MS, () => res.destroy(new Error(`no data for ${IDLE_TIMEOUT_MS / 1000}s`)));
    return {
      body: res,
      length: length !== null && /^\d+$/.test(length) ? Number(length) : null,
      etag,
      lastModified,
      md5: md5 ? Buffer.from(md5, 'base64').toString('hex') : null,
    };
  }
}

/** A redirect's target in the form it is fetched, when the allow-list takes it; else FORBIDDEN, and it is not asked. */
function allowedHop(uri: string, next: URL, allowed: { allows(uri: string): boolean }): URL {
  let normal: string | null = null;
  try {
    normal = normalizeDumpUri(next.href);
  } catch {
    // Not a URL the allow-list can check: refused below like one outside it.
  }
  if (normal === null || !allowed.allows(normal)) {
    throw new DittoError('FORBIDDEN', `dump ${maskUrl(uri)} redirects to ${maskUrl(next.href)}, outside the dump URIs this host allows`, { hint: 'use a URL that serves the dump itself, under host.dump_uris' });
  }
  return new URL(normal);
}

function get(url: URL, known: UriRecord | null, ca: (string | Buffer)[] | undefined, signal?: AbortSignal): Promise<http.IncomingMessage> {
  const headers: Record<string, string> = { 'user-agent': 'ditto' };
  if (known?.etag) headers['if-none-match'] = known.etag;
  if (known?.lastModified) headers['if-modified-since'] = known.lastModified;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { headers, ...(ca ? { ca } : {}), ...(signal ? { signal } : {}) }, resolve);
    const connectTimer = setTimeout(() => req.destroy(Object.assign(new Error('timed out connecting'), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS);
    req.on('response', () => clearTimeout(connectTimer));
    req.on('error', (err) => {
      clearTimeout(connectTimer);
      reject(requestError(url, err));
    });
  });
}

function requestError(url: URL, err: NodeJS.ErrnoException): DittoError {
  const where = maskUrl(url.toString());
  if (err.name === 'AbortError') return new DittoError('INTERRUPTED', `interrupted while fetching ${where}`);
  const tlsProblem = /certificate|self[- ]signed|SSL|TLS/i.test(`${err.code ?? ''} ${err.message}`);
  const reason = err.code === 'ECONNREFUSED' ? 'connection refused' : err.code === 'ENOTFOUND' ? 'unknown host' : err.message;
  return new DittoError('REMOTE', `cannot fetch dump ${where}: ${reason}`, {
    hint: tlsProblem ? "the server's certificate is not trusted: add its CA with dump.ca_file or NODE_EXTRA_CA_CERTS" : 'check the URL and that the server is up',
  });
}

function header(res: http.IncomingMessage, name: string): string | null {
  const value = res.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : null;
}
