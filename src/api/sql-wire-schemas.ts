import * as z from 'zod';

/**
 * The answers of POST /v2/copies/{id}/sql and GET /v2/copies/{id}/schema as zod schemas, for the
 * route table and the OpenAPI document; ./sql-wire.ts maps to and from their inferred types.
 */

const tableName = z.object({ schema: z.string(), name: z.string() });
const names = z.array(z.string());

export const sqlResultWireSchema = z
  .object({
    copy_id: z.string(),
    database: z.string().describe('the database the statements ran in'),
    ms: z.number().nonnegative(),
    results: z.array(
      z.object({
        command: z.string().nullable().describe("the server's tag for the statement (SELECT, INSERT, ...)"),
        row_count: z.number().int().nullable(),
        columns: names,
        rows: z.array(z.array(z.unknown())).describe('the rows, as JSON values, up to the row and byte caps'),
        rows_omitted: z.number().int().nonnegative().describe('rows past the caps, counted and dropped'),
      }),
    ),
  })
  .meta({ id: 'SqlResult', description: 'What a statement or script answered, one result per statement.' });

export const schemaWireSchema = z
  .object({
    default_schema: z.string(),
    tables: z.array(
      tableName.extend({
        columns: z.array(z.object({ name: z.string(), type: z.string(), nullable: z.boolean(), primary_key: z.boolean() })),
        primary_key: names,
        unique_keys: z.array(names),
        partition_of: z.object({ table: tableName, bound: z.string() }).nullable(),
      }),
    ),
    foreign_keys: z.array(z.object({ name: z.string(), from: tableName, columns: names, to: tableName, to_columns: names })),
  })
  .meta({ id: 'DbSchema', description: "A copy's tables, columns, keys and foreign keys, as the ERD reads them." });

export type SqlResultWire = z.infer<typeof sqlResultWireSchema>;
export type SchemaWire = z.infer<typeof schemaWireSchema>;
