import * as z from 'zod';
import type { ErrorCode } from '../errors.js';
import { createBody, extendBody, sqlBody, targetRefreshBody } from './request-bodies.js';
import { schemaWireSchema, sqlResultWireSchema } from './sql-wire-schemas.js';
import { connectionWireSchema, reseedStartedWireSchema, sessionWireSchema, signInBody } from './session.js';
import {
  copyWireSchema,
  eventWireSchema,
  healthWireSchema,
  issuedWireSchema,
  oidcWireSchema,
  statusWireSchema,
  targetRefreshWireSchema,
  testDatabaseWireSchema,
} from './wire-schemas.js';

/**
 * The host's routes, each declared once: method, path, request body, answers and the errors it
 * may send. The host dispatches by this table (src/server/routes.ts gives each its handler) and
 * the OpenAPI document (./openapi.ts) is made from it, so a route exists in both or in neither.
 */

/** An answer that is not JSON. */
export interface TextAnswer {
  /** One type, or the types it may be (the dashboard's files). */
  contentType: string | readonly string[];
  description: string;
}

/** What a status answers with: a JSON schema, a text body, or nothing (204). */
export type Answer = z.ZodType | TextAnswer | null;

export interface Operation {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** With `{name}` for each path parameter, in order. */
  path: string;
  summary: string;
  /** Callable without a token. */
  public?: true;
  /** The dashboard's sign-in and sign-out: public, yet CSRF-checked as a cookie's requests are. */
  session?: true;
  /** Answers a request with no credential at all too; a credential given is checked as usual. */
  anonymous?: true;
  /** A JSON body, checked against `schema` before the handler runs; `hint` says what to send. */
  body?: { schema: z.ZodType; hint: string };
  /** Query parameters, each with what it does. */
  query?: Record<string, string>;
  /** The answers when it succeeds, by status. */
  answers: Record<number, Answer>;
  /** The errors peculiar to this route (those every route may send are in EVERY_ROUTE_ERRORS). */
  errors: ErrorCode[];
}

/** What any route may answer: a path segment that is not text, the host failing or going down, a request cut short. */
export const EVERY_ROUTE_ERRORS: ErrorCode[] = ['BAD_INPUT', 'TOO_LARGE', 'INTERNAL', 'NO_CAPACITY'];
/** And a route behind a token (FORBIDDEN: a cookie's unsafe request without the dashboard's CSRF header). */
export const TOKEN_ERRORS: ErrorCode[] = ['UNAUTHORIZED', 'FORBIDDEN'];

/** One JSON-RPC message; the MCP transport checks the rest. */
const mcpMessage = z.looseObject({ jsonrpc: z.literal('2.0') }).meta({ id: 'McpMessage' });

const copyErrors: ErrorCode[] = ['FORBIDDEN', 'NOT_FOUND'];
/** Making a copy: a dump to fetch and restore, a runtime, disk and a quota. */
const provisionErrors: ErrorCode[] = ['CONFLICT', 'QUOTA', 'NO_SPACE', 'RUNTIME_UNAVAILABLE', 'DUMP_INVALID', 'PROVISION_FAILED', 'STATE', 'REMOTE', 'CONFIG'];

export const OPERATIONS = {
  create_copy: {
    method: 'POST',
    path: '/v2/copies',
    summary: "Hands the caller a copy: a warm one from the pool, else one made now (this waits for it).",
    body: { schema: createBody, hint: 'send {"ttl_seconds": 900, "label": "..."}: the fields of POST /v2/copies' },
    answers: { 201: issuedWireSchema },
    errors: ['FORBIDDEN', ...provisionErrors],
  },
  list_copies: {
    method: 'GET',
    path: '/v2/copies',
    summary: "The caller's copies; an admin's: every caller's.",
    query: {
      all: '1, true or yes: destroyed and failed copies too',
      disk_bytes: '1, true or yes: measure the bytes each copy owns on disk (disk_bytes)',
      name: "only the caller's own copy of this name (names are per owner, an admin's too)",
    },
    answers: { 200: z.array(copyWireSchema) },
    errors: [],
  },
  get_copy: {
    method: 'GET',
    path: '/v2/copies/{id}',
    summary: 'One copy, by id or a unique prefix of it.',
    answers: { 200: copyWireSchema },
    errors: copyErrors,
  },
  delete_copy: {
    method: 'DELETE',
    path: '/v2/copies/{id}',
    summary: 'Destroys a copy.',
    answers: { 204: null },
    errors: [...copyErrors, 'CONFLICT', 'STATE'],
  },
  extend_copy: {
    method: 'PATCH',
    path: '/v2/copies/{id}',
    summary: 'Gives a copy a new TTL, counted from now.',
    body: { schema: extendBody, hint: 'send {"ttl_seconds": 3600}: the copy then expires that long from now' },
    answers: { 200: copyWireSchema },
    errors: [...copyErrors, 'CONFLICT'],
  },
  reset_copy: {
    method: 'POST',
    path: '/v2/copies/{id}/reset',
    summary: 'Puts a copy back to its starting data; same id, same connection string.',
    answers: { 200: issuedWireSchema },
    errors: [...copyErrors, ...provisionErrors],
  },
  create_database: {
    method: 'POST',
    path: '/v2/copies/{id}/databases',
    summary: "Makes a database inside a copy for one test, cloned from the copy's starting data (from a stock made ahead when there is one).",
    answers: { 201: testDatabaseWireSchema },
    errors: [...copyErrors, 'CONFLICT', 'PROVISION_FAILED'],
  },
  drop_database: {
    method: 'DELETE',
    path: '/v2/copies/{id}/databases/{database}',
    summary: 'Drops a database made by create_database.',
    answers: { 204: null },
    errors: [...copyErrors, 'CONFLICT', 'PROVISION_FAILED'],
  },
  run_sql: {
    method: 'POST',
    path: '/v2/copies/{id}/sql',
    summary: "Runs a statement or a script in one of the caller's copies (or a per-test database of it), within the host's mcp caps and timeout.",
    body: { schema: sqlBody, hint: 'send {"sql": "SELECT 1"}, with "database" for a per-test database' },
    answers: { 200: sqlResultWireSchema },
    errors: [...copyErrors, 'CONFLICT', 'SQL_ERROR'],
  },
  copy_schema: {
    method: 'GET',
    path: '/v2/copies/{id}/schema',
    summary: "A copy's tables, columns, keys and foreign keys.",
    query: { database: "a per-test database of the copy; the copy's own when absent" },
    answers: { 200: schemaWireSchema },
    errors: [...copyErrors, 'CONFLICT'],
  },
  mcp: {
    method: 'POST',
    path: '/v2/mcp',
    summary: "ditto's Model Context Protocol tools for agents (streamable HTTP, stateless, JSON answers), on the caller's copies within the host's mcp limits.",
    body: { schema: mcpMessage, hint: 'send a JSON-RPC 2.0 message of the Model Context Protocol' },
    answers: {
      200: { contentType: 'application/json', description: 'the JSON-RPC answer' },
      202: null,
    },
    errors: [],
  },
  copy_events: {
    method: 'GET',
    path: '/v2/copies/{id}/events',
    summary: "A copy's life, step by step.",
    answers: { 200: z.array(eventWireSchema) },
    errors: copyErrors,
  },
  status: {
    method: 'GET',
    path: '/v2/status',
    summary: "The host's figures: copies, pool, ports, runtime, dump and golden snapshot.",
    answers: { 200: statusWireSchema },
    errors: [],
  },
  refresh_target: {
    method: 'POST',
    path: '/v2/targets/{name}/refresh',
    summary: "Replaces a configured target's contents with the host's dump (admins only; the request is its confirmation).",
    body: { schema: targetRefreshBody, hint: 'send {} to refresh, {"dry_run": true} to see what it would do' },
    answers: { 200: targetRefreshWireSchema },
    errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'NO_SPACE', 'RUNTIME_UNAVAILABLE', 'DUMP_INVALID', 'PROVISION_FAILED', 'REMOTE', 'CONFIG'],
  },
  openapi: {
    method: 'GET',
    path: '/v2/openapi.json',
    summary: 'This document: the contract of the /v2 API.',
    public: true,
    answers: { 200: z.looseObject({ openapi: z.literal('3.1.0'), paths: z.record(z.string(), z.unknown()) }).describe('an OpenAPI 3.1 document') },
    errors: [],
  },
  ca_certificate: {
    method: 'GET',
    path: '/v2/ca.pem',
    summary: "The CA that signs the copies' certificates when host.copy_tls is auto.",
    public: true,
    answers: { 200: { contentType: 'application/x-pem-file', description: 'a PEM certificate' } },
    errors: ['NOT_FOUND'],
  },
  oidc: {
    method: 'GET',
    path: '/v2/oidc',
    summary: 'The OIDC issuer and audience whose tokens this host takes.',
    public: true,
    answers: { 200: oidcWireSchema },
    errors: ['NOT_FOUND'],
  },
  dashboard: {
    method: 'GET',
    path: '/',
    summary: "The dashboard's page (it signs in with POST /v2/session).",
    public: true,
    answers: { 200: { contentType: 'text/html; charset=utf-8', description: "the dashboard's page" } },
    errors: ['NOT_FOUND'],
  },
  dashboard_asset: {
    method: 'GET',
    path: '/assets/{file}',
    summary: "The dashboard's scripts, styles and images (names carry a hash of their contents).",
    public: true,
    answers: { 200: { contentType: ['text/javascript; charset=utf-8', 'text/css; charset=utf-8', 'image/svg+xml'], description: 'a file of the dashboard' } },
    errors: ['NOT_FOUND'],
  },
  sign_in: {
    method: 'POST',
    path: '/v2/session',
    summary: 'Signs the dashboard in: checks the token as a bearer is checked and keeps it in an HttpOnly, Secure, SameSite=Strict cookie.',
    public: true,
    session: true,
    body: { schema: signInBody, hint: 'send {"token": "..."}: the token the host operator gave you, or an OIDC token' },
    answers: { 200: sessionWireSchema },
    errors: ['UNAUTHORIZED', 'FORBIDDEN'],
  },
  session: {
    method: 'GET',
    path: '/v2/session',
    summary: 'Who the session cookie (or bearer) is; owner null when signed out.',
    anonymous: true,
    answers: { 200: sessionWireSchema },
    errors: [],
  },
  sign_out: {
    method: 'DELETE',
    path: '/v2/session',
    summary: "Signs the dashboard out: clears the session cookie.",
    public: true,
    session: true,
    answers: { 204: null },
    errors: ['FORBIDDEN'],
  },
  copy_connection: {
    method: 'GET',
    path: '/v2/copies/{id}/connection',
    summary: "A ready copy's connection string, for its owner or an admin (the dashboard's copy-the-DSN).",
    answers: { 200: connectionWireSchema },
    errors: [...copyErrors, 'CONFLICT'],
  },
  reseed: {
    method: 'POST',
    path: '/v2/reseed',
    summary: "Starts a reseed now (admins only); GET /v2/status's reseed tells how it went.",
    answers: { 202: reseedStartedWireSchema },
    errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
  },
  healthz: {
    method: 'GET',
    path: '/healthz',
    summary: 'The host is up.',
    public: true,
    answers: { 200: healthWireSchema },
    errors: [],
  },
  metrics: {
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics.',
    public: true,
    answers: { 200: { contentType: 'text/plain; version=0.0.4; charset=utf-8', description: 'Prometheus text exposition' } },
    errors: [],
  },
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;

/** The errors `op` may answer with, those of every route included. */
export function errorsOf(op: Operation): ErrorCode[] {
  return [...new Set([...EVERY_ROUTE_ERRORS, ...(op.public ? [] : TOKEN_ERRORS), ...op.errors])];
}
