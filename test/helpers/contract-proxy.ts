import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { contractProblem } from './openapi.js';

/**
 * A loopback proxy in front of a host (plain HTTP) that checks every answer passing through it
 * against docs/openapi.json: what the CLI's HTTP client and the SDKs receive, which the tests do
 * not see themselves. Answers pass unchanged; what breaks the contract is kept in `problems`.
 */
export class ContractProxy {
  readonly problems: string[] = [];
  /** Answers checked so far. */
  checked = 0;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(hostUrl: string): Promise<ContractProxy> {
    const target = new URL(hostUrl);
    let proxy!: ContractProxy;
    const server = http.createServer((req, res) => {
      const method = req.method ?? 'GET';
      const upstream = http.request({ host: target.hostname, port: target.port, method, path: req.url, headers: req.headers, agent: false }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          res.write(chunk);
        });
        answer.on('end', () => {
          res.end();
          proxy.checked++;
          const status = answer.statusCode ?? 0;
          const problem = contractProblem(method, req.url ?? '/', status, String(answer.headers['content-type'] ?? ''), Buffer.concat(chunks).toString('utf8'));
          if (problem) proxy.problems.push(`${method} ${req.url} -> ${status}: ${problem}`);
        });
        answer.on('error', () => res.destroy());
      });
      upstream.on('error', () => res.destroy());
      // A client that goes away takes its request to the host with it, as it would without the proxy.
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new ContractProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
