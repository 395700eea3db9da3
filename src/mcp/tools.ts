import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import { schemaWire, sqlResultWire } from '../api/sql-wire.js';
import { copyJson, copyWire, testDatabaseWire } from '../api/wire.js';
import type { McpConfig } from '../config/schema.js';
import { formatDuration, tryParseDuration } from '../config/duration.js';
import { renderErd } from '../diagram/erd.js';
import { DittoError, asDittoError } from '../errors.js';
import type { CopyClient, CopyInfo } from '../model/copy-client.js';
import { withoutDiskPaths } from '../support/path-redaction.js';

/** Where the tools serve: this machine (stdio), or a host's caller, whose answers name the advertised host and none of the host's paths. */
export interface ToolSetting {
  client: CopyClient;
  limits: McpConfig;
  /** On a host: the host name its copies are reached by. */
  advertiseHost?: string | undefined;
}

const id = z.string().min(1).max(64).describe('The copy id (from copy_up or copy_list).');
const ttl = z
  .union([z.string().min(1).max(32), z.number().int().positive()])
  .describe('How long the copy lives: a duration such as 30m, 2h, or seconds.');
const database = z.string().min(1).max(128).describe('A per-test database in the copy (from database_new); the copy\'s own database when absent.');

/**
 * The tools an agent gets, written once over the CopyClient: the same on stdio (this machine's
 * Manager, or a host's HTTP client) and at a host's /v2/mcp (its Manager, for one caller). An
 * agent reaches only its caller's copies, within `mcp:`: no target, source, dump or reseed.
 */
export function registerTools(server: McpServer, setting: ToolSetting): void {
  const { client, limits } = setting;
  const copyOut = (copy: CopyInfo & { connectionString?: string }) => (setting.advertiseHost === undefined ? copyJson(copy) : { ...copyWire(copy, setting.advertiseHost), ...(copy.connectionString ? { connection_string: copy.connectionString } : {}) });
  const tool = <S extends z.ZodRawShape>(name: string, description: string, inputSchema: S, run: (args: z.infer<z.ZodObject<S>>) => Promise<unknown>, readOnly = false) =>
    server.registerTool(name, { description, inputSchema, annotations: { readOnlyHint: readOnly, openWorldHint: false } }, (async (args: z.infer<z.ZodObject<S>>) => answer(await outcome(() => run(args)), setting)) as never);

  tool('copy_up', `Make a new disposable copy of the database; returns its id and connection string. At most ${limits.max_copies} live copies, TTL at most ${formatDuration(limits.max_ttl)}.`, {
    ttl: ttl.optional(),
    label: z.string().max(256).optional().describe('A note to find the copy by.'),
    name: z.string().max(63).optional().describe('Name the copy (e.g. the branch): your live copy of that name is handed back, its TTL renewed, else one is made with it.'),
  }, async (args) => {
    const ttlSeconds = args.ttl === undefined ? undefined : checkTtl(args.ttl, limits);
    const live = await client.list();
    // Asking again for a named copy it holds makes nothing: only a new copy counts against the cap.
    const held = args.name !== undefined && live.some((c) => c.name === args.name);
    if (!held && live.length >= limits.max_copies) {
      throw new DittoError('QUOTA', `an agent may hold ${limits.max_copies} live copies (mcp.max_copies), and ${live.length} are live`, { hint: 'drop one with copy_down, or reuse one with copy_reset' });
    }
    return copyOut(await client.up({ ttlSeconds: ttlSeconds ?? Math.min(limits.max_ttl, 3600), label: args.label, name: args.name }));
  });

  tool('copy_list', 'List your live copies: ids, status, expiry, labels.', {}, async () => (await client.list()).map(copyOut), true);

  tool('copy_down', 'Destroy a copy and everything in it.', { id }, async (args) => {
    const { destroyed, alreadyGone } = await client.down({ ids: [args.id] });
    return { destroyed: destroyed.map((c) => c.id), already_gone: alreadyGone };
  });

  tool('copy_reset', "Put a copy's data back as it was made (undoes every change, migrations included); its connection string stays the same.", { id }, async (args) => copyOut(await client.reset(args.id)));

  tool('copy_extend', `Make a copy live longer: it then expires \`ttl\` from now (at most ${formatDuration(limits.max_ttl)}).`, { id, ttl }, async (args) => copyOut(await client.extend(args.id, checkTtl(args.ttl, limits))));

  tool('database_new', 'Make a fresh database inside a copy, cloned from its starting data, for one test; returns its name and connection string.', { id }, async (args) => testDatabaseWire(await client.createDatabase(args.id)));

  tool('database_drop', 'Drop a database database_new made.', { id, database: z.string().min(1).max(128).describe('The database name database_new returned.') }, async (args) => {
    await client.dropDatabase(args.id, args.database);
    return { dropped: args.database };
  });

  tool(
    'schema',
    "A copy's tables, columns, primary and unique keys and foreign keys; as JSON, or as a Mermaid erDiagram.",
    { id, database: database.optional(), format: z.enum(['json', 'mermaid']).default('json').describe('json (default) or mermaid') },
    async (args) => {
      const schema = await client.schema(args.id, { database: args.database });
      return args.format === 'mermaid' ? renderErd(schema, 'mermaid') : schemaWire(schema);
    },
    true,
  );

  tool(
    'sql',
    `Run SQL on one of your copies: a statement or a script of several. Rows come back as JSON (at most ${limits.max_rows} per result); a statement past ${formatDuration(limits.statement_timeout)} is cancelled; a database error comes back as the server said it.`,
    { id, sql: z.string().min(1).describe('The statement or script.'), database: database.optional() },
    async (args) => {
      if (!limits.sql) throw new DittoError('FORBIDDEN', 'the sql tool is turned off here (mcp.sql: false)', { hint: 'use the connection string copy_up returned with your own client, or ask the operator' });
      const caps = { maxRows: limits.max_rows, maxBytes: limits.max_bytes, timeoutMs: limits.statement_timeout * 1000 };
      return sqlResultWire(await client.sql(args.id, { sql: args.sql, database: args.database, limits: caps }));
    },
  );
}

/** A TTL the agent asked, in seconds: within mcp.max_ttl. */
function checkTtl(value: string | number, limits: McpConfig): number {
  const seconds = tryParseDuration(value);
  if (seconds === null) throw new DittoError('BAD_INPUT', `ttl: expected a duration like 30m or 2h, or seconds; got '${value}'`);
  if (seconds > limits.max_ttl) {
    throw new DittoError('BAD_INPUT', `ttl ${formatDuration(seconds)} is over the ${formatDuration(limits.max_ttl)} an agent may ask (mcp.max_ttl)`, { hint: 'ask for less, and copy_extend later if need be' });
  }
  return seconds;
}

async function outcome(run: () => Promise<unknown>): Promise<{ value: unknown } | { error: DittoError }> {
  try {
    return { value: await run() };
  } catch (err) {
    return { error: asDittoError(err) };
  }
}

/** The tool's answer: a text as it is (Mermaid), anything else as JSON; or an error an agent can act on: its code, message and hint. */
function answer(result: { value: unknown } | { error: DittoError }, setting: ToolSetting): CallToolResult {
  if ('error' in result) {
    const { code, message, hint } = result.error;
    const text = `${code}: ${message}${hint ? `\nhint: ${hint}` : ''}`;
    return { isError: true, content: [{ type: 'text', text: setting.advertiseHost === undefined ? text : withoutDiskPaths(text) }] };
  }
  const { value } = result;
  return { content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value) }] };
}
