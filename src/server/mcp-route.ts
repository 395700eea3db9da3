import { DittoError } from '../errors.js';
import { callerCopies } from './caller-copies.js';
import type { Handler } from './routes.js';

/**
 * POST /v2/mcp: ditto's MCP tools over streamable HTTP, stateless (each request a server of its
 * own, answered in JSON), for the caller the bearer names: its copies, within the host's `mcp:`.
 * Authentication, the body limit and the deadline are the host's, as for every /v2 route.
 */
export const mcpHandler: Handler<'mcp'> = async (host, req) => {
  const [{ WebStandardStreamableHTTPServerTransport }, { agentServer }] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
    import('../mcp/server.js'),
  ]);
  if (!req.caller) throw new DittoError('INTERNAL', 'route needs a caller');
  const server = agentServer({ client: callerCopies(host, req.caller, req.signal), limits: host.config.mcp, advertiseHost: host.advertiseHost });
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  try {
    await server.connect(transport);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: req.header('accept') ?? 'application/json, text/event-stream' };
    const version = req.header('mcp-protocol-version');
    if (version !== undefined) headers['mcp-protocol-version'] = version;
    const request = new Request('http://host/v2/mcp', { method: 'POST', headers, body: JSON.stringify(req.body), signal: req.signal });
    const response = await transport.handleRequest(request, { parsedBody: req.body });
    const body = await response.text();
    if (response.status === 202) return { status: 202 };
    if (response.status === 200) return { status: 200, text: { contentType: 'application/json', body } };
    // The transport refused the message itself (a bad protocol version, say): one line, as every /v2 error.
    const said = (JSON.parse(body || '{}') as { error?: { message?: string } }).error?.message;
    throw new DittoError('BAD_INPUT', `the MCP message was refused: ${said ?? `status ${response.status}`}`);
  } finally {
    await server.close();
  }
};
