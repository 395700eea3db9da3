import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { VERSION } from '../version.js';
import { registerTools, type ToolSetting } from './tools.js';

const INSTRUCTIONS = [
  'ditto hands out disposable copies of a database. Make one with copy_up, work on it (sql, or its connection string with your own tools),',
  'undo everything with copy_reset, and copy_down when done. database_new gives a fresh database inside a copy for one test.',
  'schema shows the tables and keys. Copies expire at their TTL.',
].join(' ');

/** The MCP server of `ditto mcp` and a host's /v2/mcp: ditto's tools over `setting`'s client. */
export function agentServer(setting: ToolSetting): McpServer {
  const server = new McpServer({ name: 'ditto', version: VERSION }, { instructions: INSTRUCTIONS });
  registerTools(server, setting);
  return server;
}
