import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { Connection } from 'mysql2/promise';
import { serverAccount } from '../../src/runtimes/local/account.js';
import { SAKILA } from './ditto.js';

const SERVER = '/usr/sbin/mariadbd';
const INSTALL_DB = '/usr/bin/mariadb-install-db';
const CLIENT = '/usr/bin/mariadb';
/** Root's password over TCP: the test DSNs carry it, nothing else needs it. */
const PASSWORD = 'reference';

/**
 * A plain MariaDB server started without ditto (loopback only, root with a password over TCP), to
 * load fixtures into directly and run obfuscation against.
 */
export class ReferenceMysql {
  /** Chosen by start(). */
  port = 0;
  private readonly account = serverAccount(undefined, 'mysql');
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-refmy-'));
  private server: ResultPromise | null = null;

  constructor() {
    fs.chmodSync(this.dir, 0o755);
    if (this.account) fs.chownSync(this.dir, this.account.uid, this.account.gid);
  }

  dsn(database = ''): string {
    return `mysql://root:${PASSWORD}@127.0.0.1:${this.port}/${database}`;
  }

  private as() {
    return this.account ? { uid: this.account.uid, gid: this.account.gid } : {};
  }

  async start(): Promise<void> {
    this.port = await nextPort();
    const data = path.join(this.dir, 'data');
    // With normal authentication the install makes root@127.0.0.1 without a password; start() gives it one.
    await execa(INSTALL_DB, ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db'], { ...this.as(), cwd: this.dir });
    const args = [
      '--no-defaults', `--datadir=${data}`, `--port=${this.port}`, '--bind-address=127.0.0.1',
      `--socket=${path.join(this.dir, 'mysqld.sock')}`, `--pid-file=${path.join(this.dir, 'mysqld.pid')}`,
      '--skip-name-resolve', '--skip-log-bin', '--innodb-buffer-pool-size=32M',
      `--log-error=${path.join(this.dir, 'error.log')}`,
    ];
    this.server = execa(SERVER, args, { ...this.as(), cwd: this.dir, detached: true, stdio: 'ignore', reject: false });
    this.server.unref();
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const conn = await this.connect(undefined, '');
        await conn.query(`ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}'`);
        await conn.end();
        return;
      } catch (err) {
        if (this.server.exitCode !== null || Date.now() > deadline) throw new Error(`mariadbd did not start: ${(err as Error).message}\n${this.log()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /** A connection as root over TCP; `database` is the default one. */
  async connect(database?: string, password = PASSWORD): Promise<Connection> {
    const mysql = await import('mysql2/promise');
    return mysql.createConnection({ host: '127.0.0.1', port: this.port, user: 'root', password, database, connectTimeout: 5000, multipleStatements: true });
  }

  /** Runs `sql` (several statements allowed) and returns the rows of the last result. */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = [], database?: string): Promise<T[]> {
    const conn = await this.connect(database);
    try {
      const [rows] = await conn.query(sql, params);
      return rows as T[];
    } finally {
      await conn.end();
    }
  }

  /** Pipes a SQL file through the `mariadb` client, as a user loading a dump would. */
  async load(file: string): Promise<void> {
    await execa(CLIENT, ['--protocol=TCP', '--host=127.0.0.1', `--port=${this.port}`, '--user=root', '--default-character-set=utf8mb4'], {
      env: { MYSQL_PWD: PASSWORD },
      inputFile: file,
    });
  }

  /** Sakila's schema, then its rows (the fixture's two files). */
  async loadSakila(): Promise<void> {
    await this.load(path.join(SAKILA, 'sakila-schema.sql'));
    await this.load(path.join(SAKILA, 'sakila-data.sql'));
  }

  log(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'error.log'), 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '';
    }
  }

  /** Kills the server, waits for it to be gone, and removes its directory. */
  async stop(): Promise<void> {
    if (this.server?.pid !== undefined && this.server.exitCode === null) {
      process.kill(this.server.pid, 'SIGKILL');
      await this.server;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Ports no other test takes: ditto's test homes stay below 28000, and each worker (VITEST_POOL_ID)
 * has its own 20 from 39620; one something else holds is skipped.
 */
let made = 0;
async function nextPort(): Promise<number> {
  const worker = Number(process.env.VITEST_POOL_ID ?? '1');
  for (let i = 0; i < 20; i++) {
    const port = 39600 + worker * 20 + (made++ % 20);
    if (await portFree(port)) return port;
  }
  throw new Error('no free port for a reference MariaDB server');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
