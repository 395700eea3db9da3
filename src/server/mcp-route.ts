import { DittoError } from '../errors.js';
import { callerCopies } from './caller-copies.js';
import type { Route } from './routes.js';

/**
 * POST /v2/mcp: ditto's MCP tools over streamable HTTP, stateless (each request a server of its
 * own, answered in JSON), for the caller the bearer names: its copies, within the host's `mcp:`.
 * Authentication, the body limit and the deadline are the host's, as for every /v2 route.
 */
export const MCP_ROUTE: Route = {
  method: 'POST',
  path: /^\/v2\/mcp$/,
  name: 'mcp',
  readsBody: true,
  async handle(host, req) {
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
      return { status: response.status, text: { contentType: response.headers.get('content-type') ?? 'application/json', body: await response.text() } };
    } finally {
      await server.close();
    }
  },
};
