import * as z from 'zod';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import { COPY_STATUSES, ENGINE_NAMES, RUNTIME_NAMES } from '../model/copy.js';

/**
 * The /v2 answers as zod schemas: the host's route table (./contract.ts) declares them, the
 * OpenAPI document is made from them, and the wire mappers (./wire.ts) return their inferred
 * types. Only types cross into ./wire.ts: the CLI and ditto's HTTP client load no schema library.
 * Each schema with an `id` is one of the document's components.
 */

const time = z.iso.datetime().describe('ISO 8601, UTC');
const count = z.number().int().nonnegative();

export const copyWireSchema = z
  .object({
    id: z.string(),
    status: z.enum(COPY_STATUSES),
    warm: z.boolean().describe('ready and not yet handed to a caller (in the pool); on a POST answer: whether it came from the pool'),
    runtime: z.enum(RUNTIME_NAMES),
    engine: z.enum(ENGINE_NAMES).nullable(),
    host: z.string().describe("where the copy listens: the host's advertise_host"),
    port: z.number().int().nullable(),
    label: z.string().nullable(),
    name: z.string().nullable().describe("the copy's name, unique among its owner's live copies (up --name)"),
    owner: z.string().nullable().describe('who holds it, with the source of the identity (`token:alice`, `oidc:<issuer>#<claim>`)'),
    run_id: z.string().nullable(),
    job_name: z.string().nullable(),
    ttl_seconds: count,
    created_at: time,
    ready_at: time.nullable(),
    expires_at: time.nullable(),
    destroyed_at: time.nullable(),
    error_message: z.string().nullable(),
    disk_bytes: count.nullable().describe('bytes the copy owns on disk, when the list was asked to measure them (disk_bytes=true)'),
  })
  .meta({ id: 'Copy', description: 'A copy of the database, without its connection string.' });

export const issuedWireSchema = copyWireSchema
  .extend({
    connection_string: z.string().describe("the copy's DSN, password included"),
    notices: z.array(z.string()).describe('advice that came with the copy (e.g. that the host has no dump)'),
  })
  .meta({ id: 'IssuedCopy', description: 'A copy handed to its caller: with its connection string.' });

export const eventWireSchema = z
  .object({
    action: z.string(),
    actor: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    created_at: time,
  })
  .meta({ id: 'CopyEvent', description: "One step of a copy's life." });

export const reseedWireSchema = z
  .object({
    running: z.boolean(),
    last: z.object({ at: time, result: z.enum(['ok', 'failed']) }).nullable().describe('the last reseed this host ran since it started'),
    next_at: time.nullable().describe('the next scheduled one (dump.refresh)'),
  })
  .meta({ id: 'Reseed', description: "The host's reseeds: one under way, the last, the next." });

export const statusWireSchema = z
  .object({
    version: z.string(),
    active_copies: count,
    warm_copies: count,
    port_pool_free: count,
    advertise_host: z.string(),
    provisioning_copies: count.optional(),
    pool_target: count.optional(),
    port_range: z.object({ min: z.number().int(), max: z.number().int() }).optional(),
    runtime: z.object({ name: z.string(), reason: z.string(), detail: z.string() }).optional(),
    dump: z
      .object({
        path: z.string().nullable(),
        age_seconds: z.number().nullable(),
        stale: z.boolean(),
        stale_threshold_seconds: z.number(),
        subset: z
          .object({ tables: z.array(z.object({ table: z.string(), rows: count, total: count })) })
          .nullable()
          .optional()
          .describe("what dump.subset kept of each table, in the plan's order, as the reseed that wrote the dump recorded it; null for a whole dump"),
      })
      .optional(),
    golden: z
      .object({ key: z.string(), bytes: count.nullable() })
      .nullable()
      .optional()
      .describe('the golden snapshot copies are cloned from, and its size; null before it is made'),
    reseed: reseedWireSchema.optional(),
    targets: z.array(z.string()).optional().describe('the names of the configured targets (`ditto target refresh NAME`); never their URLs'),
  })
  .meta({ id: 'Status', description: 'The v2 figures, then what `ditto status --remote` shows besides. An admin sees the whole host, another caller its own copies.' });

export const testDatabaseWireSchema = z
  .object({ copy_id: z.string(), database: z.string(), connection_string: z.string() })
  .meta({ id: 'TestDatabase', description: 'A database made inside a copy for one test, cloned from its starting data.' });

export const targetRefreshWireSchema = z
  .object({
    target: z.string(),
    url: z.string().describe("the target's URL, without its password"),
    dump: z.string(),
    dry_run: z.boolean(),
    plan: z.array(z.string()),
    obfuscated: z.object({ tables: count, columns: count, warnings: z.array(z.string()) }).nullable(),
    duration_ms: z.number(),
  })
  .meta({ id: 'TargetRefresh', description: 'What a target refresh did, or in a dry run would do.' });

export const oidcWireSchema = z
  .object({ issuer: z.string(), audience: z.string() })
  .meta({ id: 'OidcSettings', description: 'What a client asks its OIDC provider for a token this host takes.' });

export const healthWireSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

export const errorWireSchema = z
  .object({
    error: z.string().describe('one line; names no path of the host'),
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    hint: z.string().optional().describe('what the caller can do about it'),
  })
  .meta({ id: 'Error', description: "Every failure's answer." });

export type CopyWire = z.infer<typeof copyWireSchema>;
export type IssuedWire = z.infer<typeof issuedWireSchema>;
export type EventWire = z.infer<typeof eventWireSchema>;
export type StatusWire = z.infer<typeof statusWireSchema>;
export type ReseedWire = z.infer<typeof reseedWireSchema>;
export type TestDatabaseWire = z.infer<typeof testDatabaseWireSchema>;
export type TargetRefreshWire = z.infer<typeof targetRefreshWireSchema>;
export type ErrorWire = z.infer<typeof errorWireSchema>;
