import type { ResultPromise } from 'execa';
import type { TestHome } from './ditto.js';
import { checkContract } from './openapi.js';

export interface ApiResult {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  json: any;
}

/**
 * `ditto host` run as users run it (the built CLI, its own process), on 127.0.0.1 and a port the
 * kernel picks (outside every test home's copy ports); the URL comes from its "listening" log line.
 */
export class HostProcess {
  private constructor(
    readonly child: ResultPromise,
    readonly url: string,
    /** Its stdout so far: one JSON log line each. */
    readonly logLines: string[],
  ) {}

  /** The arguments that start a host the way start() does. */
  static readonly ARGS = ['host', '--listen', '127.0.0.1', '--port', '0'];

  static start(home: TestHome, env: Record<string, string> = {}): Promise<HostProcess> {
    return HostProcess.attach(home.spawn(HostProcess.ARGS, env));
  }

  /** Waits for `child`, a `ditto host` started with ARGS, to say where it listens. */
  static async attach(child: ResultPromise): Promise<HostProcess> {
    const lines: string[] = [];
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => reject(new Error(`ditto host did not start within 20s: ${stderr}${lines.join('\n')}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        buffered += d.toString();
        const parts = buffered.split('\n');
        buffered = parts.pop()!;
        for (const line of parts) {
          lines.push(line);
          const found = /"url":"(https?:\/\/127\.0\.0\.1:\d+)"/.exec(line);
          if (found && line.includes('ditto host listening')) {
            clearTimeout(timer);
            resolve(found[1]!);
          }
        }
      });
      void child.then((r) => {
        clearTimeout(timer);
        reject(new Error(`ditto host exited (${r.exitCode}) before listening: ${stderr}${lines.join('\n')}`));
      });
    });
    return new HostProcess(child, url, lines);
  }

  /** A request to the host; its answer is checked against docs/openapi.json (a mismatch throws). */
  async api(method: string, path: string, opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<ApiResult> {
    const headers: Record<string, string> = { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers };
    const body = opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.url + path, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(60_000) });
    const text = await response.text();
    checkContract(method, path, response.status, response.headers.get('content-type') ?? '', text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  /**
   * Sends `signal` to the host itself, not through execa's kill(), which sends SIGKILL 5 s later:
   * sooner than a shutdown that waits for a copy being made on a loaded machine.
   */
  signal(signal: NodeJS.Signals = 'SIGTERM'): void {
    process.kill(this.child.pid!, signal);
  }

  /** Sends `signal` and waits for the process to end; its exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | undefined> {
    this.signal(signal);
    const result = await this.child;
    return result.exitCode;
  }
}
