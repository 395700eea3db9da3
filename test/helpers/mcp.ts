import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { TestHome } from './ditto.js';

/** A tool's answer: its text, and the text as JSON when it is JSON. */
export interface ToolAnswer {
  isError: boolean;
  text: string;
  json: any;
}

/** The SDK's own client, connected to `ditto mcp` as an MCP client starts it: the built CLI over stdio, with the home's environment. */
export async function stdioAgent(home: TestHome, args: string[] = [], env: Record<string, string> = {}): Promise<Agent> {
  const [command, ...prefix] = home.command;
  const transport = new StdioClientTransport({ command: command!, args: [...prefix, 'mcp', ...args], env: { PATH: process.env.PATH ?? '', ...home.env(env) }, cwd: home.dir, stderr: 'pipe' });
  return Agent.connect(transport);
}

/** The SDK's own client at a host's /v2/mcp (streamable HTTP), with `token` as its bearer. */
export async function httpAgent(url: string, token: string | undefined): Promise<Agent> {
  const transport = new StreamableHTTPClientTransport(new URL('/v2/mcp', url), token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {});
  return Agent.connect(transport);
}

export class Agent {
  private constructor(readonly client: Client) {}

  static async connect(transport: StdioClientTransport | StreamableHTTPClientTransport): Promise<Agent> {
    const client = new Client({ name: 'ditto-test', version: '1.0.0' });
    await client.connect(transport);
    return new Agent(client);
  }

  async tools(): Promise<string[]> {
    return (await this.client.listTools()).tools.map((t) => t.name).sort();
  }

  async call(name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> {
    const result = await this.client.callTool({ name, arguments: args }, undefined, { timeout: 300_000 });
    const text = (result.content as { type: string; text: string }[]).map((c) => c.text).join('\n');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { isError: result.isError === true, text, json };
  }

  /** A call that must succeed: its JSON. */
  async ok(name: string, args: Record<string, unknown> = {}): Promise<any> {
    const answer = await this.call(name, args);
    if (answer.isError) throw new Error(`${name} failed: ${answer.text}`);
    return answer.json ?? answer.text;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
