import fs from 'node:fs';
import path from 'node:path';
import { DittoError } from '../errors.js';
import type { ContainerServerSpec, DumpFile, DumpFormat, DumpSource, Endpoint, Engine, LocalServerSpec, ReadyOptions, ToolCommand, ToolRunner } from './engine.js';

const CUSTOM_MAGIC = 'PGDMP';

/** A copy is disposable: durability buys nothing and costs restore time. Both runtimes use these. */
const DISPOSABLE_SETTINGS = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];

const PORT_IN_USE = /could not bind .*Address already in use|could not create any TCP\/IP sockets/i;

const local: LocalServerSpec = {
  binaries: ['initdb', 'postgres', 'pg_restore', 'psql'],
  initCommand(binDir, dataDir, user, pwfile) {
    return {
      file: path.join(binDir, 'initdb'),
      args: ['-D', dataDir, '-U', user, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'],
    };
  },
  serverCommand(binDir, dataDir, port) {
    return {
      file: path.join(binDir, 'postgres'),
      args: [
        '-D', dataDir,
        '-p', String(port),
        '-c', 'listen_addresses=127.0.0.1',
        // No Unix socket: copies are reached over loopback TCP only, and no shared socket dir is needed.
        '-c', 'unix_socket_directories=',
        ...DISPOSABLE_SETTINGS,
      ],
    };
  },
  portInUse: PORT_IN_USE,
};

/** The official `postgres` image's contract: POSTGRES_* variables, initdb on first start, `postgres` as the command. */
const container: ContainerServerSpec = {
  defaultImage: 'postgres:16',
  port: 5432,
  // The official image declares /var/lib/postgresql/data a volume: a commit would leave it out.
  dataDir: '/var/lib/ditto/pgdata',
  env({ user, password, database }) {
    return {
      PGDATA: container.dataDir,
      POSTGRES_USER: user,
      POSTGRES_PASSWORD: password,
      POSTGRES_DB: database,
      // Same cluster as the local runtime's initdb; --no-sync because the data dies with the container.
      POSTGRES_INITDB_ARGS: '--encoding=UTF8 --locale=C --no-sync',
    };
  },
  command({ hostPort }) {
    // On the host's network the server must take the copy's port and stay on loopback.
    const listen = hostPort === null ? [] : ['-p', String(hostPort), '-c', 'listen_addresses=127.0.0.1'];
    return ['postgres', ...listen, ...DISPOSABLE_SETTINGS];
  },
  portInUse: PORT_IN_USE,
  hostTools: ['pg_restore'],
};

export class PostgresEngine implements Engine {
  readonly name = 'postgres' as const;
  readonly defaultUser = 'postgres';
  readonly defaultDatabase = 'postgres';
  readonly local = local;
  readonly container = container;

  connectionString(e: Endpoint): string {
    const auth = `${encodeURIComponent(e.user)}:${encodeURIComponent(e.password)}`;
    return `postgresql://${auth}@${formatHost(e.host)}:${e.port}/${encodeURIComponent(e.database)}?sslmode=disable`;
  }

  async waitReady(e: Endpoint, opts: ReadyOptions): Promise<void> {
    const deadline = Date.now() + opts.timeoutMs;
    let lastError = 'no answer';
    // Loaded here, not at the top: commands that never wait for a server (ls, down) skip pg's start-up cost.
    const { default: pg } = await import('pg');
    for (let attempt = 0; ; attempt++) {
      opts.signal?.throwIfAborted();
      const client = new pg.Client({ ...e, connectionTimeoutMillis: 2000 });
      // A connection refused mid-startup emits 'error' on the client too; the rejected connect() reports it.
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('SELECT 1');
        if (opts.newPassword !== undefined) {
          // A clone of a golden snapshot carries the snapshot's password: the copy gets its own now.
          await client.query(`ALTER ROLE ${client.escapeIdentifier(e.user)} PASSWORD ${client.escapeLiteral(opts.newPassword)}`);
        }
        return;
      } catch (err) {
        lastError = (err as Error).message;
      } finally {
        await client.end().catch(() => {});
      }
      // Checking liveness every few attempts keeps a dead server from costing the whole timeout.
      if (attempt % 4 === 3 && !(await opts.alive())) {
        throw new DittoError('PROVISION_FAILED', 'the database server exited while starting');
      }
      if (Date.now() > deadline) {
        throw new DittoError('PROVISION_FAILED', `the database server did not accept connections within ${Math.round(opts.timeoutMs / 1000)}s (${lastError})`, {
          hint: 'raise ready_timeout in ditto.yaml if the machine is slow',
        });
      }
      await new Promise((r) => setTimeout(r, Math.min(25 * (attempt + 1), 200)));
    }
  }

  async inspectDump(file: string, tools: { binDir: string | null }): Promise<DumpFile> {
    const abs = path.resolve(file);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch {
      throw new DittoError('DUMP_INVALID', `dump file ${abs} does not exist`, {
        hint: 'check dump.path in ditto.yaml or --dump, or make one with `ditto reseed`',
      });
    }
    if (!stat.isFile()) throw new DittoError('DUMP_INVALID', `dump ${abs} is not a file`);
    if (stat.size === 0) throw new DittoError('DUMP_INVALID', `dump file ${abs} is empty`, { hint: 'make a fresh one with `ditto reseed`' });
    const format = readFormat(abs);
    if (format === null) {
      throw new DittoError('DUMP_INVALID', `dump file ${abs} is neither a pg_dump custom archive nor SQL text`, {
        hint: 'make a fresh one with `ditto reseed` or `pg_dump -Fc`',
      });
    }
    if (format === 'custom' && tools.binDir) {
      // Reading the table of contents catches a corrupt archive before a server is started for it.
      const { execa } = await import('execa');
      const listed = await execa(path.join(tools.binDir, 'pg_restore'), ['--list', abs], { reject: false, stdout: 'ignore' });
      if (listed.exitCode !== 0) {
        throw new DittoError('DUMP_INVALID', `dump file ${abs} is corrupt: ${firstLine(listed.stderr)}`, {
          hint: 'make a fresh one with `ditto reseed`',
        });
      }
    }
    return { path: abs, format, size: stat.size, modifiedAt: stat.mtimeMs };
  }

  async restore(tools: ToolRunner, dump: DumpFile, copyEndpoint: Endpoint): Promise<void> {
    const e = tools.endpoint?.(copyEndpoint) ?? copyEndpoint;
    const conn = ['-h', e.host, '-p', String(e.port), '-U', e.user, '-d', e.database];
    const env = { PGPASSWORD: e.password, PGCONNECT_TIMEOUT: '10' };
    const dumpPath = tools.dumpPath(dump);
    try {
      if (dump.format === 'custom') {
        // Objects are owned by the copy's superuser: the source's roles need not exist here.
        await tools.run('pg_restore', [...conn, '--no-owner', '--no-acl', '--exit-on-error', dumpPath], env);
      } else {
        await tools.run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...conn, '-f', dumpPath], env);
      }
    } catch (err) {
      throw new DittoError('DUMP_INVALID', `restoring ${dump.path} failed: ${firstLine((err as Error).message)}`, {
        hint: 'check the dump (is it complete?) or make a fresh one with `ditto reseed`',
        cause: err,
      });
    }
  }

  readonly dumpTool = 'pg_dump';

  dumpCommand(source: DumpSource, out: string): ToolCommand {
    // The password travels in the environment, never in argv, where any process list shows it.
    const env: Record<string, string> = { PGCONNECT_TIMEOUT: '10' };
    if (source.password !== null) env.PGPASSWORD = source.password;
    return { tool: 'pg_dump', args: ['--format=custom', '--no-password', '-f', out, '-d', source.url], env };
  }
}

function readFormat(file: string): DumpFormat | null {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(8192);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    const bytes = head.subarray(0, n);
    if (bytes.subarray(0, CUSTOM_MAGIC.length).toString('latin1') === CUSTOM_MAGIC) return 'custom';
    return bytes.includes(0) ? null : 'sql';
  } finally {
    fs.closeSync(fd);
  }
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function firstLine(text: string): string {
  const line = text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  return line.length > 300 ? line.slice(0, 300) + '…' : line;
}

/** The line of a client tool's stderr that says what failed, less a `strip`ped prefix. */
export function toolErrorLine(stderr: string, strip?: RegExp): string {
  const line = stderr.split('\n').find((l) => /error|FATAL/i.test(l)) ?? stderr;
  return firstLine(strip ? line.replace(strip, '') : line);
}
