import * as z from 'zod';
import type { UpRequest } from '../model/copy-client.js';
import type { SqlRequest } from '../model/sql.js';
import { DittoError } from '../errors.js';
import { checkCopyName } from '../model/copy-name.js';

/**
 * The request bodies of the /v2 routes, as the route table (./contract.ts) declares them: the host
 * checks each body against its schema, and the OpenAPI document shows it. Apart from the rest of
 * the wire format (./wire.ts) because they need the schema library, which ditto's HTTP client does not.
 */

/** A dump a remote caller may name: a URL the host fetches, never a path on the host. */
const REMOTE_DUMP = /^(https?|s3):\/\//i;

const optionalText = z.string().max(256).nullable().optional();
const ttlSeconds = z.number().int().positive().max(366 * 86400);

/** POST /v2/copies. Unknown fields are ignored (older and newer clients send what they know). */
export const createBody = z
  .object({
    ttl_seconds: ttlSeconds.optional().describe("how long the copy lives; the host's default when absent"),
    run_id: optionalText,
    job_name: optionalText,
    label: optionalText,
    name: z.string().max(256).nullable().optional().describe("the caller's copy of this name is handed back (its TTL renewed) when it has one, else made with it"),
    dump_uri: z.string().min(1).max(4096).nullable().optional().describe('an http(s):// or s3:// URL under a prefix in host.dump_uris'),
    obfuscate: z.boolean().nullable().optional(),
  })
  .meta({ id: 'CreateCopy' });

/** PATCH /v2/copies/{id}: a new TTL, counted from now. */
export const extendBody = z.object({ ttl_seconds: ttlSeconds.describe('the copy then expires this long from now') }).meta({ id: 'ExtendCopy' });

/** POST /v2/targets/{name}/refresh: the POST itself is the confirmation. */
export const targetRefreshBody = z.object({ dry_run: z.boolean().nullable().optional().describe('only say what a refresh would do') }).meta({ id: 'RefreshTarget' });

/** POST /v2/copies/{id}/sql: the statement or script, and the caps the caller asks (the host's mcp limits cap them in turn). */
export const sqlBody = z
  .object({
    sql: z.string().min(1).describe('a statement, or a script of several'),
    database: z.string().min(1).max(128).nullable().optional().describe("a per-test database of the copy; the copy's own when absent"),
    max_rows: z.number().int().positive().optional(),
    max_bytes: z.number().int().positive().optional(),
    timeout_ms: z.number().int().positive().optional(),
  })
  .meta({ id: 'RunSql' });

/** `body` checked against `schema`; the first problem is one BAD_INPUT line naming its field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, hint: string): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DittoError('BAD_INPUT', 'request body must be a JSON object', { hint });
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || 'body';
    const what = field === 'ttl_seconds' ? 'expected a positive whole number of seconds' : issue.message;
    throw new DittoError('BAD_INPUT', `${field}: ${what}`, { hint });
  }
  return parsed.data;
}

/** A checked POST /v2/copies body as the copies floor takes it. */
export function upRequest(b: z.infer<typeof createBody>): UpRequest {
  if (b.dump_uri && !REMOTE_DUMP.test(b.dump_uri)) {
    throw new DittoError('BAD_INPUT', `dump_uri must be an http(s):// or s3:// URL; the host does not read paths on its own disk for callers`, {
      hint: 'upload the dump and pass its URL',
    });
  }
  return {
    ttlSeconds: b.ttl_seconds,
    runId: b.run_id ?? undefined,
    jobName: b.job_name ?? undefined,
    label: b.label ?? undefined,
    name: b.name === null || b.name === undefined ? undefined : checkCopyName(b.name),
    dumpUri: b.dump_uri ?? undefined,
    obfuscate: b.obfuscate ?? undefined,
  };
}

/** The caps of a request that names none: no looser than the host's own (the copies floor takes the tighter). */
const NO_CAP = Number.MAX_SAFE_INTEGER;

/** A checked POST /v2/copies/{id}/sql body as the copies floor takes it. */
export function sqlRequest(b: z.infer<typeof sqlBody>): SqlRequest {
  return {
    sql: b.sql,
    database: b.database ?? undefined,
    limits: { maxRows: b.max_rows ?? NO_CAP, maxBytes: b.max_bytes ?? NO_CAP, timeoutMs: b.timeout_ms ?? NO_CAP },
  };
}
