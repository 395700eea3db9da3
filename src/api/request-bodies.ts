import * as z from 'zod';
import type { UpRequest } from '../model/copy-client.js';
import { DittoError } from '../errors.js';
import { checkCopyName } from '../model/copy-name.js';

/**
 * The bodies of POST /v2/copies and PATCH /v2/copies/{id}, checked and turned into what the
 * copies floor takes. Apart from the rest of the wire format (./wire.ts) because they need the
 * schema library, which ditto's HTTP client does not.
 */

/** A dump a remote caller may name: a URL the host fetches, never a path on the host. */
const REMOTE_DUMP = /^(https?|s3):\/\//i;

const optionalText = z.string().max(256).nullable().optional();

/** POST /v2/copies. Unknown fields are ignored (older and newer clients send what they know). */
const createBody = z.object({
  ttl_seconds: z.number().int().positive().max(366 * 86400).optional(),
  run_id: optionalText,
  job_name: optionalText,
  label: optionalText,
  name: z.string().max(256).nullable().optional(),
  dump_uri: z.string().min(1).max(4096).nullable().optional(),
  obfuscate: z.boolean().nullable().optional(),
});

/** PATCH /v2/copies/{id}: a new TTL, counted from now. */
const extendBody = z.object({ ttl_seconds: z.number().int().positive().max(366 * 86400) });

/** `body` checked against `schema`; the first problem is one BAD_INPUT line naming its field. */
function parseBody<T>(schema: z.ZodType<T>, body: unknown, hint: string): T {
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

export function parseExtend(body: unknown): number {
  return parseBody(extendBody, body, 'send {"ttl_seconds": 3600}: the copy then expires that long from now').ttl_seconds;
}

export function parseCreate(body: unknown): UpRequest {
  const b = parseBody(createBody, body, 'send {"ttl_seconds": 900, "label": "..."}: the fields of POST /v2/copies');
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
