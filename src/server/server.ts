import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Caller } from '../model/caller.js';
import { DittoError } from '../errors.js';
import { AuthRefused, type TokenAuth } from './auth.js';
import { answerUnparsable, hidesPaths, readJson, sendError, sendJson } from './http-io.js';
import { MethodNotAllowed, matchRoute, type HostServices } from './routes.js';
import { checkCsrf, credentialOf, keepsSecureCookie, needsCsrfCheck } from './session.js';

export interface ServerOptions {
  auth: TokenAuth;
  services: HostServices;
  bodyLimit: number;
  /** The longest a request may take, provisioning included. */
  requestTimeoutMs: number;
  logger: Logger;
  /** Serve HTTPS with this certificate (chain) and key, PEM. */
  tls?: { cert: Buffer; key: Buffer } | undefined;
}

interface InFlight {
  done: Promise<void>;
  controller: AbortController;
}

/** Time allowed to send the headers, and the whole request: a slow client cannot hold a socket for long. */
const HEADERS_TIMEOUT_MS = 10_000;
const RECEIVE_TIMEOUT_MS = 30_000;

/**
 * A request's target as a URL: origin-form (`/path?query`) is a path even when it starts with `//`
 * (resolved against a base, `//x` would name a host, and `//` alone is no URL); absolute-form is parsed as it is.
 */
function requestUrl(target: string): URL {
  try {
    return new URL(target.startsWith('/') ? `http://host${target}` : target);
  } catch {
    throw new DittoError('BAD_INPUT', 'malformed request target', { hint: 'send a path such as /v2/copies' });
  }
}

/**
 * The /v2 HTTP server: authentication, body limit, per-request deadline, and a shutdown that
 * stops accepting and lets requests in flight finish (a copy being made is completed, or failed
 * and removed by its own request when the deadline forces it).
 */
export class HostServer {
  private readonly server: http.Server | https.Server;
  private readonly inFlight = new Set<InFlight>();
  private closing = false;

  constructor(private readonly opts: ServerOptions) {
    const handle = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handle) : http.createServer(handle);
    this.server.headersTimeout = HEADERS_TIMEOUT_MS;
    this.server.requestTimeout = RECEIVE_TIMEOUT_MS;
    this.server.on('clientError', answerUnparsable);
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const reason = err.code === 'EADDRINUSE' ? 'the address is in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
        reject(new DittoError('CONFIG', `cannot listen on ${host}:${port}: ${reason}`, { hint: 'set host.listen / host.port (or --listen / --port)' }));
      };
      this.server.once('error', onError);
      this.server.listen({ port, host }, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Whether it serves HTTPS. */
  get secure(): boolean {
    return this.server instanceof https.Server;
  }

  /** Presents a new certificate to connections from now on (a renewed one, on SIGHUP); open connections keep theirs. */
  replaceCertificate(tls: { cert: Buffer; key: Buffer }): void {
    if (!(this.server instanceof https.Server)) throw new DittoError('INTERNAL', 'the host does not serve HTTPS');
    this.server.setSecureContext({ cert: tls.cert, key: tls.key });
  }

  /**
   * Stops accepting, waits for the requests in flight, and closes. Past `graceMs` the requests
   * still running are aborted: each removes what it had made before it answers.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const grace = setTimeout(() => this.abortAll(), graceMs);
    try {
      // Requests that arrive meanwhile on open keep-alive connections are refused, but counted too.
      while (this.inFlight.size > 0) await Promise.all([...this.inFlight].map((r) => r.done));
    } finally {
      clearTimeout(grace);
    }
    this.server.closeAllConnections();
    await closed;
  }

  /** Aborts every request in flight (a second SIGTERM): provisioning stops and its copy is removed. */
  abortAll(): void {
    const reason = new DittoError('NO_CAPACITY', 'the host is shutting down; the copy being made was removed', { hint: 'retry once the host is back' });
    for (const request of this.inFlight) request.controller.abort(reason);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { services, logger } = this.opts;
    const started = performance.now();
    const controller = new AbortController();
    let finish!: () => void;
    const entry: InFlight = { done: new Promise((resolve) => (finish = resolve)), controller };
    this.inFlight.add(entry);
    services.metrics.inFlight++;
    const timeoutS = Math.round(this.opts.requestTimeoutMs / 1000);
    const timer = setTimeout(
      () => controller.abort(new DittoError('NO_CAPACITY', `the request took longer than ${timeoutS}s; anything made for it was removed`, { hint: 'try again later, or raise host.request_timeout' })),
      this.opts.requestTimeoutMs,
    );
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new DittoError('INTERRUPTED', 'the client went away'));
    });
    const method = req.method ?? 'GET';
    let routeName = 'unknown';
    let caller: Caller | null = null;
    let status = 500;
    let unreadBody = false;
    let refused: string | undefined;
    try {
      const url = requestUrl(req.url ?? '/');
      const { route, params } = matchRoute(method, url.pathname);
      routeName = route.name;
      unreadBody = route.readsBody === true;
      if (this.closing) throw new DittoError('NO_CAPACITY', 'the host is shutting down', { hint: 'retry once the host is back' });
      const credential = credentialOf(req);
      if (needsCsrfCheck(req, credential.viaCookie, route.session === true)) checkCsrf(req);
      const anonymous = route.public || (route.anonymous === true && credential.authorization === undefined);
      caller = anonymous ? null : await this.opts.auth.authenticate(credential.authorization);
      const body = route.readsBody ? await readJson(req, this.opts.bodyLimit) : undefined;
      unreadBody = false;
      const header = (name: string) => [req.headers[name]].flat()[0];
      const reply = await route.handle(services, { caller, params, query: url.searchParams, body, header, signal: controller.signal, secureTransport: keepsSecureCookie(req) });
      status = reply.status;
      const headers: Record<string, string> = { ...reply.headers, ...(this.closing ? { connection: 'close' } : {}) };
      if (reply.text) res.writeHead(status, { 'content-type': reply.text.contentType, ...headers }).end(reply.text.body);
      else sendJson(res, status, reply.body, headers);
    } catch (err) {
      if (err instanceof AuthRefused) refused = err.reason;
      // A body never read (refused before it) or a host going down: this connection carries no more requests.
      const headers: Record<string, string> = this.closing || unreadBody ? { connection: 'close' } : {};
      if (err instanceof MethodNotAllowed) headers.allow = err.allow.join(', ');
      status = sendError(res, err, headers);
      if (status >= 500 && status !== 503) logger.error({ route: routeName, error: (err as Error).message }, 'request failed');
      else if (hidesPaths(err)) logger.info({ route: routeName, status, error: (err as Error).message }, 'request refused');
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(entry);
      services.metrics.inFlight--;
      const seconds = (performance.now() - started) / 1000;
      services.metrics.observeRequest(method, routeName, status, seconds);
      // The route's name, never the raw path or headers: no token, id or password reaches the log (a refused bearer's reason does).
      logger.info({ method, route: routeName, status, ms: Math.round(seconds * 10000) / 10, caller: caller?.owner ?? null, ...(refused ? { refused } : {}) }, 'request');
      finish();
    }
  }
}
