import * as z from 'zod';
import { byteSize, duration } from './values.js';

/**
 * `mcp:`, what an AI agent may do through `ditto mcp` and a host's /v2/mcp: less than its caller
 * may, never more. The agent never names a target, a source or a dump, and never reseeds.
 */
export const mcp = z
  .strictObject({
    max_ttl: duration.default(4 * 3600).describe('The longest TTL an agent may give a copy (copy_up, copy_extend).'),
    max_copies: z.number().int().min(0).max(1000).default(3).describe('The most live copies an agent may hold: those of its caller on a host, of this machine locally (0: copy_up is refused).'),
    sql: z.boolean().default(true).describe('Whether the `sql` tool (and POST /v2/copies/{id}/sql) runs statements at all.'),
    max_rows: z.number().int().min(1).max(1_000_000).default(500).describe('The most rows `sql` returns of one result; the rest are counted, not sent.'),
    max_bytes: byteSize.default(1024 * 1024).describe('The most bytes of rows (as JSON) `sql` returns in all; rows past it are counted, not sent.'),
    statement_timeout: duration.default(30).describe("The longest one `sql` call may run: each statement is cancelled by the server past it (PostgreSQL's statement_timeout, MariaDB's max_statement_time), and a script that runs on is cancelled too."),
  })
  .default({ max_ttl: 4 * 3600, max_copies: 3, sql: true, max_rows: 500, max_bytes: 1024 * 1024, statement_timeout: 30 })
  .describe('What an AI agent may do through `ditto mcp` (docs/agents.md).');
