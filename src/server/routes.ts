import type { Config } from '../config/schema.js';
import type { Caller } from '../model/caller.js';
import type { CopyClient, CopyInfo, IssuedCopy } from '../model/copy-client.js';
import { recordedSubset } from '../dump/identity.js';
import { currentDumpPath, dumpFreshness } from '../dump/location.js';
import { DittoError } from '../errors.js';
import { isPrintable } from '../support/printable.js';
import { VERSION } from '../version.js';
import type { CallerLimits } from './limits.js';
import { PUBLIC_HANDLERS } from './public-routes.js';
import { callerCopies } from './caller-copies.js';
import { mcpHandler } from './mcp-route.js';
import type { Family, Metrics } from './metrics.js';
import type { MirrorReads } from './reads.js';
import type * as z from 'zod';
import { OPERATIONS, type Operation, type OperationName, type TextAnswer } from '../api/contract.js';
import { parseBody, sqlRequest, upRequest } from '../api/request-bodies.js';
import { schemaWire, sqlResultWire } from '../api/sql-wire.js';
import { copyWire, eventWire, issuedWire, reseedWire, testDatabaseWire } from '../api/wire.js';
import { targetRefreshWire } from '../api/targets.js';
import type { TargetRefreshResult } from '../reseed/targets.js';
import { DASHBOARD_HANDLERS } from './dashboard-routes.js';
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

export interface RouteRequest<Body = unknown> {
  /** Null on the public routes (/healthz, /metrics). */
  caller: Caller | null;
  params: string[];
  query: URLSearchParams;
  /** The request body, checked against the route's declared schema (undefined for a route that takes none). */
  body: Body;
  /** A request header's value (the first, when sent twice). */
  header(name: string): string | undefined;
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

type Declared<N extends OperationName> = (typeof OPERATIONS)[N];
type BodyOf<N extends OperationName> = Declared<N> extends { body: { schema: infer S extends z.ZodType } } ? z.infer<S> : undefined;
type ContentType<T> = T extends readonly (infer Each)[] ? Each : T;
type Headers = { headers?: Record<string, string> };
type AnswerReply<S, A> = Headers &
  (A extends z.ZodType ? { status: S; body: z.infer<A> } : A extends TextAnswer ? { status: S; text: { contentType: ContentType<A['contentType']>; body: string } } : { status: S });
type Answers<N extends OperationName> = Declared<N>['answers'];
/** What a route's handler may answer: one of its declared statuses, with a body of that status's schema. */
type ReplyOf<N extends OperationName> = { [S in keyof Answers<N> & number]: AnswerReply<S, Answers<N>[S]> }[keyof Answers<N> & number];

export type Handler<N extends OperationName> = (host: HostServices, req: RouteRequest<BodyOf<N>>) => Promise<ReplyOf<N>>;
export type Handlers = { [N in OperationName]: Handler<N> };

/** A declared operation with its handler, as the server dispatches it. */
export interface Route {
  method: Operation['method'];
  path: RegExp;
  /** The route's name in logs and metrics (never the raw path, which holds ids). */
  name: OperationName;
  public: boolean;
  /** The dashboard's sign-in and sign-out: public, yet CSRF-checked as a cookie's requests are (session.ts). */
  session: boolean;
  /** Answers a request with no credential at all too (caller null); a credential given is checked as usual. */
  anonymous: boolean;
  readsBody: boolean;
  handle(host: HostServices, req: RouteRequest): Promise<Reply>;
}

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

/** Each declared operation's handler: one missing, extra or answering what its operation does not declare is a type error. */
const HANDLERS: Handlers = {
  ...PUBLIC_HANDLERS,
  ...DASHBOARD_HANDLERS,
  async create_copy(host, req) {
    const parsed = upRequest(req.body);
    const requestedAt = Date.now();
    // Checked before anything is fetched, in the normal form that is then fetched.
    const request = { ...parsed, dumpUri: parsed.dumpUri === undefined ? undefined : host.limits.dumpUris.check(parsed.dumpUri) };
    const copies = callerCopies(host, callerOf(req), req.signal);
    let copy: IssuedCopy;
    try {
      copy = await copies.up(request);
    } catch (err) {
      throw abortReason(req.signal, err);
    }
    // A named copy stays for whoever asks for its name next (the caller retrying), else for its TTL.
    if (req.signal.aborted && request.name === undefined) {
      // Made, but nobody is left to hand it to: remove it now rather than at its TTL.
      await copies.down({ ids: [copy.id] }).catch(() => {});
      throw abortReason(req.signal, new DittoError('INTERRUPTED', 'the client went away; the copy was removed'));
    }
    return { status: 201, body: issuedWire(copy, host.advertiseHost, requestedAt) };
  },
  async list_copies(host, req) {
    const caller = callerOf(req);
    const name = req.query.get('name');
    // ?name=N: the caller's own copy of that name (an admin's too: names are per owner), as `down --name` asks.
    const listed = (await host.reads.list(caller, truthy(req.query.get('all')))).filter((c) => name === null || (c.name === name && c.owner === caller.owner));
    const copies = truthy(req.query.get('disk_bytes')) && host.diskBytes ? await host.diskBytes(listed) : listed;
    return { status: 200, body: copies.map((c) => copyWire(c, host.advertiseHost)) };
  },
  async get_copy(host, req) {
    return { status: 200, body: copyWire(await host.reads.get(callerOf(req), req.params[0]!), host.advertiseHost) };
  },
  async delete_copy(host, req) {
    await callerCopies(host, callerOf(req), req.signal).down({ ids: [req.params[0]!] });
    return { status: 204 };
  },
  async extend_copy(host, req) {
    const copy = await callerCopies(host, callerOf(req), req.signal).extend(req.params[0]!, req.body.ttl_seconds);
    return { status: 200, body: copyWire(copy, host.advertiseHost) };
  },
  async reset_copy(host, req) {
    const requestedAt = Date.now();
    try {
      const copy = await callerCopies(host, callerOf(req), req.signal).reset(req.params[0]!);
      return { status: 200, body: issuedWire(copy, host.advertiseHost, requestedAt) };
    } catch (err) {
      throw abortReason(req.signal, err);
    }
  },
  async create_database(host, req) {
    return { status: 201, body: testDatabaseWire(await callerCopies(host, callerOf(req), req.signal).createDatabase(req.params[0]!)) };
  },
  async drop_database(host, req) {
    await callerCopies(host, callerOf(req), req.signal).dropDatabase(req.params[0]!, req.params[1]!);
    return { status: 204 };
  },
  async run_sql(host, req) {
    try {
      return { status: 200, body: sqlResultWire(await callerCopies(host, callerOf(req), req.signal).sql(req.params[0]!, sqlRequest(req.body))) };
    } catch (err) {
      throw abortReason(req.signal, err);
    }
  },
  async copy_schema(host, req) {
    const database = req.query.get('database') ?? undefined;
    return { status: 200, body: schemaWire(await callerCopies(host, callerOf(req), req.signal).schema(req.params[0]!, { database })) };
  },
  mcp: mcpHandler,
  async copy_events(host, req) {
    return { status: 200, body: (await host.reads.events(callerOf(req), req.params[0]!)).map(eventWire) };
  },
  async status(host, req) {
    // An admin sees the whole host; another caller its own copies (and the host's free capacity).
    const counts = await host.reads.counts(callerOf(req));
    const dumpPath = currentDumpPath(host.config, host.home);
    const fresh = dumpFreshness(host.config, dumpPath);
    const body = {
      version: VERSION,
      active_copies: counts.active,
      warm_copies: counts.warm,
      port_pool_free: counts.portsFree,
      advertise_host: host.advertiseHost,
      provisioning_copies: counts.provisioning,
      pool_target: host.config.pool.size,
      port_range: { min: host.config.ports.min, max: host.config.ports.max },
      runtime: await host.runtime(),
      dump: { path: fresh.path, age_seconds: fresh.ageSeconds, stale: fresh.stale, stale_threshold_seconds: fresh.staleThresholdSeconds, subset: recordedSubset(dumpPath, host.home) },
      ...(host.golden ? { golden: await host.golden().catch(() => null) } : {}),
      ...(host.reseed ? { reseed: reseedWire(host.reseed.report()) } : {}),
      targets: Object.keys(host.config.targets),
    };
    return { status: 200, body };
  },
  async refresh_target(host, req) {
    // Admins only: a target is shared (staging), and a refresh replaces everything in it.
    if (!callerOf(req).admin) throw new DittoError('FORBIDDEN', 'refreshing a target is for admins', { hint: 'use an admin token (host.admin_tokens)' });
    const dryRun = req.body.dry_run === true;
    if (!host.refreshTarget) throw new DittoError('NOT_FOUND', 'this host refreshes no targets');
    try {
      return { status: 200, body: targetRefreshWire(await host.refreshTarget(req.params[0]!, { dryRun, signal: req.signal })) };
    } catch (err) {
      throw abortReason(req.signal, err);
    } finally {
      await host.afterWrite();
    }
  },
};

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

/** A path template (`/v2/copies/{id}`) as the pattern that matches it, a group for each parameter. */
function pathPattern(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\{[^}]+\}/g, '([^/]+)')}$`);
}

/** Every declared operation with its handler; its body checked against the declared schema before the handler sees it. */
export const ROUTES: Route[] = (Object.entries(OPERATIONS) as [OperationName, Operation][]).map(([name, op]) => {
  const handler = HANDLERS[name] as (host: HostServices, req: RouteRequest) => Promise<Reply>;
  const body = op.body;
  return {
    method: op.method,
    path: pathPattern(op.path),
    name,
    public: op.public === true,
    session: op.session === true,
    anonymous: op.anonymous === true,
    readsBody: body !== undefined,
    handle: (host, req) => handler(host, { ...req, body: body ? parseBody(body.schema, req.body, body.hint) : undefined }),
  };
});

/** The /v2 routes a caller with a token may ask, by path: what a wrong path or method is told. */
const API_HINT = (() => {
  const methods = new Map<string, string[]>();
  for (const op of Object.values(OPERATIONS as Record<string, Operation>)) {
    if (!op.public && op.path.startsWith('/v2/')) methods.set(op.path, [...(methods.get(op.path) ?? []), op.method]);
  }
  return `the API is under /v2: ${[...methods].map(([path, verbs]) => `${verbs.join(', ')} ${path}`).join('; ')}`;
})();

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
