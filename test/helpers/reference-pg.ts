import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { postgresBinDir } from '../../src/engines/postgres/server.js';
import { serverAccount } from '../../src/runtimes/local/account.js';

/**
 * A plain PostgreSQL server started without ditto (trust auth, loopback), to load fixtures into
 * directly and compare ditto's copies against.
 */
export class ReferenceServer {
  readonly binDir = postgresBinDir(undefined, ['initdb', 'pg_ctl', 'postgres', 'psql', 'pg_dump']);
  private readonly account = serverAccount(undefined, 'postgres');
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-ref-'));

  constructor(readonly port: number) {
    fs.chmodSync(this.dir, 0o755);
    if (this.account) fs.chownSync(this.dir, this.account.uid, this.account.gid);
  }

  get dsn(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private as() {
    return this.account ? { uid: this.account.uid, gid: this.account.gid } : {};
  }

  async start(): Promise<void> {
    const data = path.join(this.dir, 'data');
    await execa(path.join(this.binDir, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'], { ...this.as(), cwd: this.dir });
    await execa(path.join(this.binDir, 'pg_ctl'), ['-D', data, '-w', '-l', path.join(this.dir, 'log'), '-o', `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off`, 'start'], { ...this.as(), cwd: this.dir });
  }

  async psqlFile(file: string): Promise<void> {
    await execa(path.join(this.binDir, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', this.dsn, '-f', file]);
  }

  async psql(sql: string, database = 'postgres'): Promise<void> {
    await execa(path.join(this.binDir, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', this.dsn.replace(/\/postgres$/, `/${database}`), '-c', sql]);
  }

  async dump(target: string, format: 'custom' | 'plain'): Promise<void> {
    await execa(path.join(this.binDir, 'pg_dump'), [`--format=${format}`, '-f', target, this.dsn]);
  }

  async stop(): Promise<void> {
    await execa(path.join(this.binDir, 'pg_ctl'), ['-D', path.join(this.dir, 'data'), '-m', 'immediate', 'stop'], { ...this.as(), cwd: this.dir, reject: false });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
