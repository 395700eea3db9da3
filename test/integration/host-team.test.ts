import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { issueServerCert, makeCa, type KeyPair } from '../../src/support/certificates.js';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';
import { ENGINE_RUNTIME_CASES, type EngineRuntimeCase } from '../helpers/engines.js';
import { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';

/**
 * A host other machines use: 127.0.0.2 stands for the address another machine reaches the host
 * at (all of 127.0.0.0/8 is loopback here). A DSN naming it proves it does not depend on being
 * made and used on the host's own address.
 */
const TOKEN = 'team-token-0123456789';
const ELSEWHERE = '127.0.0.2';
const PSQL = '/usr/lib/postgresql/15/bin/psql';

let home: TestHome | null = null;
let host: HostProcess | null = null;

afterEach(async () => {
  if (host && host.child.exitCode === null) await host.stop();
  host = null;
  if (home) {
    const left = await leftovers(home);
    await home.cleanup();
    home = null;
    expect(left).toEqual([]);
  }
});

async function startHost(c: EngineRuntimeCase, hostConfig: Record<string, unknown>): Promise<HostProcess> {
  home = new TestHome({}, { portCount: 6 });
  home.writeConfig({ ...c.config, host: { tokens: [{ name: 'team', token: TOKEN }], ...hostConfig } });
  host = await HostProcess.start(home);
  return host;
}

async function create(h: HostProcess): Promise<{ id: string; connection_string: string }> {
  const made = await h.api('POST', '/v2/copies', { token: TOKEN, body: { ttl_seconds: 600 } });
  expect(made.status, made.text).toBe(201);
  return made.json;
}

/**
 * Connects with the engine's driver, over TLS or not, as a client on another machine would: the
 * address the server saw the connection arrive at (PostgreSQL says; MariaDB has no such function),
 * and whether the connection is encrypted.
 */
async function connect(dsn: string, tls: boolean): Promise<{ address: string | null; encrypted: boolean }> {
  const url = new URL(dsn);
  const auth = { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), database: decodeURIComponent(url.pathname.slice(1)) };
  const ssl = tls ? { rejectUnauthorized: false } : undefined;
  if (url.protocol === 'mysql:') {
    const conn = await mysql.createConnection({ host: url.hostname, port: Number(url.port), ...auth, connectTimeout: 5000, ...(ssl ? { ssl } : {}) });
    try {
      const [rows] = (await conn.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) as unknown as [{ Value: string }[]];
      return { address: null, encrypted: rows[0]!.Value !== '' };
    } finally {
      await conn.end();
    }
  }
  const client = new pg.Client({ host: url.hostname, port: Number(url.port), ...auth, connectionTimeoutMillis: 5000, ssl: ssl ?? false });
  await client.connect();
  try {
    const sql = 'SELECT host(inet_server_addr()) AS address, ssl AS encrypted FROM pg_stat_ssl WHERE pid = pg_backend_pid()';
    return (await client.query<{ address: string; encrypted: boolean }>(sql)).rows[0]!;
  } finally {
    await client.end();
  }
}

const POSTGRES_CASES = ENGINE_RUNTIME_CASES.filter((c) => c.engine === 'postgres');

describe.each(POSTGRES_CASES)('copies other machines reach ($name)', (c) => {
  it('copy_listen 0.0.0.0 and advertise_host 127.0.0.2: the DSN names 127.0.0.2 and connects through it', async () => {
    const h = await startHost(c, { copy_listen: '0.0.0.0', advertise_host: ELSEWHERE });
    const copy = await create(h);
    const url = new URL(copy.connection_string);
    expect(url.hostname).toBe(ELSEWHERE);
    expect(url.searchParams.get('sslmode')).toBe('disable');
    expect(await connect(copy.connection_string, false)).toEqual({ address: ELSEWHERE, encrypted: false });
    expect((await h.api('DELETE', `/v2/copies/${copy.id}`, { token: TOKEN })).status).toBe(204);
  });
});

describe.each(ENGINE_RUNTIME_CASES)('copy_tls: auto ($name)', (c) => {
  it('copies take TLS connections only; the DSN asks for TLS, and the CA at /v2/ca.pem verifies the advertised name', async () => {
    const h = await startHost(c, { copy_listen: '0.0.0.0', advertise_host: ELSEWHERE, copy_tls: 'auto' });
    const copy = await create(h);
    const url = new URL(copy.connection_string);
    expect(url.hostname).toBe(ELSEWHERE);
    expect(url.search).toBe(c.engine === 'postgres' ? '?sslmode=require' : '?ssl-mode=REQUIRED');
    await expect(connect(copy.connection_string, false)).rejects.toThrow(c.engine === 'postgres' ? /no pg_hba.conf entry .* no encryption/ : /Access denied|insecure transport/);
    expect(await connect(copy.connection_string, true)).toEqual({ address: c.engine === 'postgres' ? ELSEWHERE : null, encrypted: true });

    const ca = await h.api('GET', '/v2/ca.pem');
    expect(ca.status).toBe(200);
    expect(ca.text).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const caFile = path.join(home!.dir, 'host-ca.pem');
    fs.writeFileSync(caFile, ca.text);
    expect(await verifiedQuery(copy.connection_string, caFile, ELSEWHERE)).toBe('1');
    // A name the certificate does not carry fails the check: it is verified, not just encrypted.
    await expect(verifiedQuery(copy.connection_string, caFile, '127.0.0.3')).rejects.toThrow(/does not match|mismatch|certificate/i);
    expect((await h.api('DELETE', `/v2/copies/${copy.id}`, { token: TOKEN })).status).toBe(204);
  });
});

/** `SELECT 1` through the engine's own client, checking the server's certificate against `caFile` and the name `hostname`. */
async function verifiedQuery(dsn: string, caFile: string, hostname: string): Promise<string> {
  const url = new URL(dsn);
  const password = decodeURIComponent(url.password);
  if (url.protocol === 'mysql:') {
    const args = ['--protocol=TCP', `--host=${hostname}`, `--port=${url.port}`, `--user=${decodeURIComponent(url.username)}`, `--ssl-ca=${caFile}`, '--ssl-verify-server-cert', '--batch', '--skip-column-names', '-e', 'SELECT 1'];
    return (await execa('mariadb', args, { env: { MYSQL_PWD: password } })).stdout.trim();
  }
  const conn = `host=${hostname} port=${url.port} user=${decodeURIComponent(url.username)} dbname=${url.pathname.slice(1)} sslmode=verify-full sslrootcert=${caFile}`;
  return (await execa(PSQL, [conn, '-Atc', 'SELECT 1'], { env: { PGPASSWORD: password } })).stdout.trim();
}

describe('copy_tls with the operator’s certificate', () => {
  it('DSNs say sslmode=verify-full, and psql connects with the operator’s CA checking the name', async () => {
    const ca = await makeCa('operator CA');
    const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'ditto-operator-'));
    try {
      const files = writePair(dir, 'copies', await issueServerCert(ca, [ELSEWHERE]));
      const caFile = path.join(dir, 'ca.pem');
      fs.writeFileSync(caFile, ca.cert);
      const h = await startHost(POSTGRES_CASES[0]!, { copy_listen: ELSEWHERE, advertise_host: ELSEWHERE, copy_tls: files });
      const copy = await create(h);
      expect(copy.connection_string).toMatch(new RegExp(`@127\\.0\\.0\\.2:\\d+/postgres\\?sslmode=verify-full$`));
      const result = await execa(PSQL, [copy.connection_string, '-Atc', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'], { env: { PGSSLROOTCERT: caFile } });
      expect(result.stdout.trim()).toBe('t');
      // Without the operator's CA the client refuses the server: verify-full means it.
      const untrusted = await execa(PSQL, [copy.connection_string, '-Atc', 'SELECT 1'], { env: { PGSSLROOTCERT: path.join(dir, 'missing.pem') }, reject: false });
      expect(untrusted.exitCode).not.toBe(0);
      expect((await h.api('GET', '/v2/ca.pem')).status).toBe(404);
      expect((await h.api('DELETE', `/v2/copies/${copy.id}`, { token: TOKEN })).status).toBe(204);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a certificate file that cannot be read stops the host at start, in one line', async () => {
    home = new TestHome({}, { portCount: 2 });
    home.writeConfig({ host: { tokens: [{ name: 'team', token: TOKEN }], copy_tls: { cert: '/nonexistent/copies.crt', key: '/nonexistent/copies.key' } } });
    expectOneLineError(await home.run(HostProcess.ARGS), 78, /^ditto: host\.copy_tls\.cert \/nonexistent\/copies\.crt cannot be read: ENOENT; check host\.copy_tls\.cert/);
  });
});

/** Writes a certificate and key as NAME.crt and NAME.key in `dir`; their paths, as host.tls and host.copy_tls take them. */
export function writePair(dir: string, name: string, pair: KeyPair): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  fs.writeFileSync(cert, pair.cert);
  fs.writeFileSync(key, pair.key, { mode: 0o600 });
  return { cert, key };
}
