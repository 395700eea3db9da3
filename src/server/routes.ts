import type { Config } from '../config/schema.js';
import type { Caller } from '../model/caller.js';
import type { CopyClient, CopyInfo, IssuedCopy } from '../model/copy-client.js';
import { currentDumpPath, dumpFreshness } from '../dump/location.js';
import { DittoError } from '../errors.js';
import { isPrintable } from '../support/printable.js';
import { VERSION } from '../version.js';
import type { CallerLimits } from './limits.js';
import { PUBLIC_ROUTES } from './public-routes.js';
import type { Family, Metrics } from './metrics.js';
import type { MirrorReads } from './reads.js';
import { parseCreate, parseExtend } from '../api/request-bodies.js';
import { copyWire, eventWire, issuedWire, reseedWire, testDatabaseWire, type StatusWire } from '../api/wire.js';
import { parseTargetRefresh, targetRefreshWire } from '../api/targets.js';
import type { TargetRefreshResult } from '../reseed/targets.js';
import { DASHBOARD_ROUTES } from './dashboard-routes.js';
import type { ReseedControl } from './maintenance.js';

/** What the routes need from the running host. */
export interface HostServices {
  config: Config;
  home: string;
  advertiseHost: string;
  reads: MirrorReads;
  metrics: Metrics;
  limits: CallerLimits;
  /** The host's copies; each call names its caller, whose copies are stamped theirs, and only theirs destroyed. */
  copies: CopyClient;
  /** Publishes a write to the mirror before its answer goes out, so no read after it is stale. */
  afterWrite(): Promise<void>;
  runtime(): Promise<{ name: string; reason: string; detail: string }>;
  /** The golden snapshot copies are cloned from now, with its size; null before it is made. */
  golden?(): Promise<{ key: string; bytes: number | null } | null>;
  /** The copies with the bytes each owns on disk, measured (GET /v2/copies?disk_bytes=true, as `ditto ls` asks). */
  diskBytes?(copies: CopyInfo[]): Promise<CopyInfo[]>;
  /** Figures for /metrics beyond the request counters. */
  families(): Promise<Family[]>;
  /** The token's caller (sign-in to the dashboard checks a token as a bearer is checked). */
  authenticate?(token: string): Promise<Caller>;
  /** A ready copy's connection string, as its caller (the owner, or an admin) is handed it. */
  connectionString?(caller: Caller, id: string): Promise<string>;
  /** Reseeds now (an admin's request), and what the host's reseeds did: the dashboard shows it. */
  reseed?: ReseedControl;
  /** Replaces a target's contents with the host's dump (`ditto target refresh`); the request is its confirmation. */
  refreshTarget?(name: string, opts: { dryRun: boolean; signal: AbortSignal }): Promise<TargetRefreshResult>;
}

export interface RouteRequest {
  /** Null on the public routes (/healthz, /metrics). */
  caller: Caller | null;
  params: string[];
  query: URLSearchParams;
  body: unknown;
  /** Aborted when the client goes away, the request times out, or the host is forced down. */
  signal: AbortSignal;
  /** Whether a browser keeps a Secure cookie from this connection (TLS, or loopback): see session.ts. */
  secureTransport?: boolean;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** A non-JSON body, with its content type. */
  text?: { contentType: string; body: string };
  /** Headers beyond the content type (the dashboard's CSP, a session cookie). */
  headers?: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: RegExp;
  /** The route's name in logs and metrics (never the raw path, which holds ids). */
  name: string;
  public?: boolean;
  /** The dashboard's sign-in and sign-out: public, yet CSRF-checked as a cookie's requests are (session.ts). */
  session?: boolean;
  /** Answers a request with no credential at all too (caller null); a credential given is checked as usual. */
  anonymous?: boolean;
  readsBody?: boolean;
  handle(host: HostServices, req: RouteRequest): Promise<Reply>;
}

const ID = '([^/]+)';

export function callerOf(req: RouteRequest): Caller {
  if (!req.caller) throw new DittoError('INTERNAL', 'route needs a caller');
  return req.caller;
}

function truthy(value: string | null): boolean {
  return value !== null && /^(1|true|yes)$/i.test(value);
}

/** Rethrows the reason the request was cut short (time-out, shutdown) rather than the bare interruption. */
function abortReason(signal: AbortSignal, err: unknown): unknown {
  return signal.aborted && signal.reason instanceof DittoError ? signal.reason : err;
}

export const ROUTES: Route[] = [
  {
    method: 'POST',
    path: /^\/v2\/copies$/,
    name: 'create_copy',
    readsBody: true,
    async handle(host, req) {
      const parsed = parseCreate(req.body);
      const requestedAt = Date.now();
      const caller = callerOf(req);
      // Checked before anything is fetched, in the normal form that is then fetched.
      const request = { ...parsed, dumpUri: parsed.dumpUri === undefined ? undefined : host.limits.dumpUris.check(parsed.dumpUri) };
      const release = await host.limits.admit(caller, () => host.reads.list(caller, false));
      let copy: IssuedCopy;
      try {
        copy = await host.copies.up(request, { signal: req.signal, caller, dumpUrls: host.limits.dumpUris });
      } catch (err) {
        throw abortReason(req.signal, err);
      } finally {
        await host.afterWrite();
        release();
      }
      if (req.signal.aborted) {
        // Made, but nobody is left to hand it to: remove it now rather than at its TTL.
        await host.copies.down({ ids: [copy.id] }, { caller }).catch(() => {});
        await host.afterWrite();
        throw abortReason(req.signal, new DittoError('INTERRUPTED', 'the client went away; the copy was removed'));
      }
      return { status: 201, body: issuedWire(copy, host.advertiseHost, requestedAt) };
    },
  },
  {
    method: 'GET',
    path: /^\/v2\/copies$/,
    name: 'list_copies',
    async handle(host, req) {
      const listed = await host.reads.list(callerOf(req), truthy(req.query.get('all')));
      const copies = truthy(req.query.get('disk_bytes')) && host.diskBytes ? await host.diskBytes(listed) : listed;
      return { status: 200, body: copies.map((c) => copyWire(c, host.advertiseHost)) };
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^/v2/copies/${ID}$`),
    name: 'get_copy',
    async handle(host, req) {
      return { status: 200, body: copyWire(await host.reads.get(callerOf(req), req.params[0]!), host.advertiseHost) };
    },
  },
  {
    method: 'DELETE',
    path: new RegExp(`^/v2/copies/${ID}$`),
    name: 'delete_copy',
    async handle(host, req) {
      try {
        await host.copies.down({ ids: [req.params[0]!] }, { caller: callerOf(req) });
      } finally {
        await host.afterWrite();
      }
      return { status: 204 };
    },
  },
  {
    method: 'PATCH',
    path: new RegExp(`^/v2/copies/${ID}$`),
    name: 'extend_copy',
    readsBody: true,
    async handle(host, req) {
      try {
        const copy = await host.copies.extend(req.params[0]!, parseExtend(req.body), { caller: callerOf(req) });
        return { status: 200, body: copyWire(copy, host.advertiseHost) };
      } finally {
        await host.afterWrite();
      }
    },
  },
  {
    method: 'POST',
    path: new RegExp(`^/v2/copies/${ID}/reset$`),
    name: 'reset_copy',
    async handle(host, req) {
      const requestedAt = Date.now();
      try {
        const copy = await host.copies.reset(req.params[0]!, { caller: callerOf(req), signal: req.signal });
        return { status: 200, body: issuedWire(copy, host.advertiseHost, requestedAt) };
      } catch (err) {
        throw abortReason(req.signal, err);
      } finally {
        await host.afterWrite();
      }
    },
  },
  {
    method: 'POST',
    path: new RegExp(`^/v2/copies/${ID}/databases$`),
    name: 'create_database',
    async handle(host, req) {
      return { status: 201, body: testDatabaseWire(await host.copies.createDatabase(req.params[0]!, { caller: callerOf(req) })) };
    },
  },
  {
    method: 'DELETE',
    path: new RegExp(`^/v2/copies/${ID}/databases/${ID}$`),
    name: 'drop_database',
    async handle(host, req) {
      await host.copies.dropDatabase(req.params[0]!, req.params[1]!, { caller: callerOf(req) });
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^/v2/copies/${ID}/events$`),
    name: 'copy_events',
    async handle(host, req) {
      return { status: 200, body: (await host.reads.events(callerOf(req), req.params[0]!)).map(eventWire) };
    },
  },
  {
    method: 'GET',
    path: /^\/v2\/status$/,
    name: 'status',
    async handle(host, req) {
      // An admin sees the whole host; another caller its own copies (and the host's free capacity).
      const counts = await host.reads.counts(callerOf(req));
      const dumpPath = currentDumpPath(host.config, host.home);
      const fresh = dumpFreshness(host.config, dumpPath);
      const body: StatusWire = {
        version: VERSION,
        active_copies: counts.active,
        warm_copies: counts.warm,
        port_pool_free: counts.portsFree,
        advertise_host: host.advertiseHost,
        provisioning_copies: counts.provisioning,
        pool_target: host.config.pool.size,
        port_range: { min: host.config.ports.min, max: host.config.ports.max },
        runtime: await host.runtime(),
        dump: { path: fresh.path, age_seconds: fresh.ageSeconds, stale: fresh.stale, stale_threshold_seconds: fresh.staleThresholdSeconds },
        ...(host.golden ? { golden: await host.golden().catch(() => null) } : {}),
        ...(host.reseed ? { reseed: reseedWire(host.reseed.report()) } : {}),
        targets: Object.keys(host.config.targets),
      };
      return { status: 200, body };
    },
  },
  {
    method: 'POST',
    path: new RegExp(`^/v2/targets/${ID}/refresh$`),
    name: 'refresh_target',
    readsBody: true,
    async handle(host, req) {
      // Admins only: a target is shared (staging), and a refresh replaces everything in it.
      if (!callerOf(req).admin) throw new DittoError('FORBIDDEN', 'refreshing a target is for admins', { hint: 'use an admin token (host.admin_tokens)' });
      const { dryRun } = parseTargetRefresh(req.body);
      if (!host.refreshTarget) throw new DittoError('NOT_FOUND', 'this host refreshes no targets');
      try {
        return { status: 200, body: targetRefreshWire(await host.refreshTarget(req.params[0]!, { dryRun, signal: req.signal })) };
      } catch (err) {
        throw abortReason(req.signal, err);
      } finally {
        await host.afterWrite();
      }
    },
  },
  ...PUBLIC_ROUTES,
  ...DASHBOARD_ROUTES,
];

function decodeParam(raw: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new DittoError('BAD_INPUT', `'${raw}' is not a valid path segment`);
  }
  // An id or a name is echoed in errors that reach a terminal: none holds a control character (DESIGN 13).
  if (!isPrintable(decoded)) throw new DittoError('BAD_INPUT', `'${raw}' is not a valid path segment: it decodes to a control character`);
  return decoded;
}

const API_HINT = 'the API is under /v2: POST, GET /v2/copies; GET, PATCH, DELETE /v2/copies/{id}; POST /v2/copies/{id}/reset; POST /v2/copies/{id}/databases; POST /v2/targets/{name}/refresh; GET /v2/status';

/** A known path asked with another method: 405, with the methods it serves (sent as Allow). */
export class MethodNotAllowed extends DittoError {
  constructor(
    method: string,
    readonly allow: string[],
  ) {
    super('METHOD_NOT_ALLOWED', `${method} is not allowed here; this path takes ${allow.join(', ')}`, { hint: API_HINT });
  }
}

/** The route for a request, with its path parameters; NOT_FOUND when none serves the path, MethodNotAllowed when none serves the method. */
export function matchRoute(method: string, pathname: string): { route: Route; params: string[] } {
  const allow: string[] = [];
  for (const route of ROUTES) {
    const match = route.path.exec(pathname);
    if (!match) continue;
    if (route.method === method) return { route, params: match.slice(1).map(decodeParam) };
    allow.push(route.method);
  }
  if (allow.length) throw new MethodNotAllowed(method, allow);
  throw new DittoError('NOT_FOUND', 'no such route', { hint: API_HINT });
}
