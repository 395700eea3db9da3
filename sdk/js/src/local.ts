import process from 'node:process';
import { DittoError, codeForExit } from './errors.js';
import { copyId, upRequest } from './request.js';
import type { ClientOptions, Copy, CopyEvent, DittoClient, IssuedCopy, Status, TestDatabase, UpOptions } from './types.js';
import { copyFromWire, eventFromWire, issuedFromWire, listFromWire, statusFromCli, testDatabaseFromWire } from './wire.js';

interface Run {
  stdout: string;
  stderr: string;
}

/**
 * Local mode: each call runs the `ditto` executable (DITTO_BIN, else `ditto` on PATH) with
 * `--json` and reads what it prints; a failure is its one `ditto: message; hint` line on stderr
 * and its exit code, made the same DittoError. Uses node:child_process, which Node, Deno and Bun
 * all have.
 */
export class LocalClient implements DittoClient {
  readonly mode = 'local' as const;
  private readonly bin: string;

  constructor(private readonly options: ClientOptions = {}) {
    this.bin = options.bin || process.env.DITTO_BIN || 'ditto';
  }

  async up(options: UpOptions = {}): Promise<IssuedCopy> {
    const request = upRequest(options);
    const args = ['up', '--json'];
    if (request.ttlSeconds !== undefined) args.push('--ttl', String(request.ttlSeconds));
    if (request.label !== undefined) args.push('--label', request.label);
    if (request.name !== undefined) args.push(`--name=${request.name}`);
    if (request.dump !== undefined) args.push('--dump', request.dump);
    if (request.obfuscate) args.push('--obfuscate');
    // The CLI takes the run and job from these variables (it has no flags for them).
    const env = { DITTO_RUN_ID: request.runId, DITTO_JOB_NAME: request.jobName };
    const { stdout, stderr } = await this.run(args, { env, signal: options.signal });
    const notices = stderr.split('\n').flatMap((line) => (line.startsWith('hint: ') ? [line.slice('hint: '.length)] : []));
    return issuedFromWire(this.json(stdout, args), this.source, notices);
  }

  async down(id: string): Promise<void> {
    await this.run(['down', copyId(id)]);
  }

  async downNamed(name: string): Promise<boolean> {
    const { stdout } = await this.run(['down', `--name=${name}`]);
    return stdout.trim() !== '';
  }

  async list(options: { all?: boolean } = {}): Promise<Copy[]> {
    const args = ['ls', '--json', ...(options.all ? ['--all'] : [])];
    return listFromWire(this.json((await this.run(args)).stdout, args), this.source, 'copies', (c) => copyFromWire(c, this.source));
  }

  async events(id: string): Promise<CopyEvent[]> {
    const args = ['logs', '--json', copyId(id)];
    return listFromWire(this.json((await this.run(args)).stdout, args), this.source, 'events', eventFromWire);
  }

  async status(): Promise<Status> {
    const args = ['status', '--json'];
    return statusFromCli(this.json((await this.run(args)).stdout, args));
  }

  async createDatabase(id: string): Promise<TestDatabase> {
    const args = ['db', 'new', copyId(id), '--json'];
    return testDatabaseFromWire(this.json((await this.run(args)).stdout, args), this.source);
  }

  async dropDatabase(id: string, database: string): Promise<void> {
    await this.run(['db', 'drop', copyId(id), database]);
  }

  async reset(id: string): Promise<IssuedCopy> {
    const args = ['reset', copyId(id), '--json'];
    return issuedFromWire(this.json((await this.run(args)).stdout, args), this.source);
  }

  async extend(id: string, ttlSeconds: number): Promise<Copy> {
    const args = ['extend', copyId(id), '--ttl', String(ttlSeconds), '--json'];
    return copyFromWire(this.json((await this.run(args)).stdout, args), this.source);
  }

  private get source(): string {
    return `\`${this.bin}\``;
  }

  private json(stdout: string, args: string[]): unknown {
    try {
      return JSON.parse(stdout) as unknown;
    } catch {
      throw new DittoError('INTERNAL', `\`${this.bin} ${args[0]}\` printed something other than JSON`, { hint: 'check that DITTO_BIN names the ditto executable' });
    }
  }

  private async run(args: string[], opts: { env?: Record<string, string | undefined>; signal?: AbortSignal | undefined } = {}): Promise<Run> {
    const { execFile } = await import('node:child_process');
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...process.env, ...this.options.env, ...opts.env })) if (value !== undefined) env[name] = value;
    // Local mode means this machine: a DITTO_SERVER inherited by the executable would send it to a host.
    delete env.DITTO_SERVER;
    return new Promise<Run>((resolve, reject) => {
      execFile(this.bin, args, { env, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', ...(opts.signal ? { signal: opts.signal } : {}) }, (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        reject(this.failure(err as NodeJS.ErrnoException & { code?: unknown; signal?: unknown }, stderr, opts.signal));
      });
    });
  }

  /** The executable's failure as a DittoError: its exit code and its `ditto: message; hint` line. */
  private failure(err: { code?: unknown; signal?: unknown; message: string }, stderr: string, signal: AbortSignal | undefined): DittoError {
    if (err.code === 'ENOENT' || err.code === 'EACCES') {
      return new DittoError('COMMAND_NOT_FOUND', `cannot run the ditto executable '${this.bin}' (${err.code})`, {
        hint: 'install ditto, or set DITTO_BIN to its path (or a ditto server with DITTO_SERVER)',
      });
    }
    if (signal?.aborted) return new DittoError('INTERRUPTED', 'interrupted; ditto removes a copy it was making');
    const line = stderr.split('\n').reverse().find((l) => l.startsWith('ditto: '));
    const exit = typeof err.code === 'number' ? err.code : 70;
    if (!line) {
      const why = typeof err.signal === 'string' ? `was killed by ${err.signal}` : `exited ${exit} without saying why`;
      return new DittoError(codeForExit(exit), `\`${this.bin}\` ${why}`, { status: exit });
    }
    const text = line.slice('ditto: '.length);
    const split = text.indexOf('; ');
    return split < 0
      ? new DittoError(codeForExit(exit), text, { status: exit })
      : new DittoError(codeForExit(exit), text.slice(0, split), { status: exit, hint: text.slice(split + 2) });
  }
}
