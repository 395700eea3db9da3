import type { Argv, CommandModule } from 'yargs';
import { withClient, type GlobalArgs } from '../context.js';

export const mcpCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'mcp',
  describe: "a Model Context Protocol server on stdin/stdout, for an AI agent: copies, per-test databases, schema and SQL, within ditto.yaml's mcp: limits (docs/agents.md)",
  builder: (y: Argv<GlobalArgs>) => y,
  handler: async (args) => {
    // Its events name the agent as the actor (locally; a host names the caller).
    await withClient(
      args,
      async (client, loaded) => {
        const [{ StdioServerTransport }, { agentServer }] = await Promise.all([import('@modelcontextprotocol/sdk/server/stdio.js'), import('../../mcp/server.js')]);
        const server = agentServer({ client, limits: loaded.config.mcp });
        // Served until the client closes its end of stdin (or a signal ends the process).
        const closed = new Promise<void>((resolve) => {
          process.stdin.once('end', resolve);
          process.stdin.once('close', resolve);
        });
        await server.connect(new StdioServerTransport());
        await closed;
        await server.close();
      },
      { actor: 'mcp' },
    );
  },
};
