import * as z from 'zod';
import type { UpRequest } from '../model/copy-client.js';
import { DittoError } from '../errors.js';

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
    dump_uri: z.string().min(1).max(4096).nullable().optional().describe('an http(s):// or s3:// URL under a prefix in host.dump_uris'),
    obfuscate: z.boolean().nullable().optional(),
  })
  .meta({ id: 'CreateCopy' });

/** PATCH /v2/copies/{id}: a new TTL, counted from now. */
export const extendBody = z.object({ ttl_seconds: ttlSeconds.describe('the copy then expires this long from now') }).meta({ id: 'ExtendCopy' });

/** POST /v2/targets/{name}/refresh: the POST itself is the confirmation. */
export const targetRefreshBody = z.object({ dry_run: z.boolean().nullable().optional().describe('only say what a refresh would do') }).meta({ id: 'RefreshTarget' });

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
    dumpUri: b.dump_uri ?? undefined,
    obfuscate: b.obfuscate ?? undefined,
  };
}
