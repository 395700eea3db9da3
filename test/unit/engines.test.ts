import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import type { Engine } from '../../src/engines/engine.js';
import { PostgresEngine } from '../../src/engines/postgres/engine.js';
import { Engines } from '../../src/engines/registry.js';
import type { EngineName } from '../../src/model/copy.js';
import { FakeEngine } from './fakes/floors.js';

/** A second engine the registry can hold: its scheme is other://, its dumps start with OTHERDUMP. */
class OtherEngine extends FakeEngine {
  override readonly schemes = ['other'];
  override claimsDump(head: Buffer): boolean {
    return head.toString('latin1').startsWith('OTHERDUMP');
  }
}

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function file(content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-engines-'));
  dirs.push(dir);
  const f = path.join(dir, 'dump');
  fs.writeFileSync(f, content);
  return f;
}

describe('the engine registry', () => {
  const other = new OtherEngine('other' as EngineName);
  const engines = new Engines({ postgres: () => new PostgresEngine(), other: () => other } as unknown as Partial<Record<EngineName, () => Engine>>);
  const current = (config: ConfigInput) => engines.current(configSchema.parse(config)).schemes[0];

  it('takes engine from the config first, then the scheme of source.url, then the dump, else PostgreSQL', () => {
    expect(current({})).toBe('postgresql');
    expect(current({ source: { url: 'other://u@127.0.0.1/db' } })).toBe('other');
    expect(current({ source: { url: 'postgres://u@127.0.0.1/db' }, dump: { path: file('OTHERDUMP...') } })).toBe('postgresql');
    expect(current({ dump: { path: file('OTHERDUMP\n') } })).toBe('other');
    expect(current({ dump: { path: file('PGDMP\u0001\u000e') } })).toBe('postgresql');
    expect(current({ engine: 'postgres', source: { url: 'other://u@127.0.0.1/db' } })).toBe('postgresql');
  });

  it('passes over what says nothing: an unset secret reference, a missing dump', () => {
    delete process.env.DITTO_TEST_UNSET_SOURCE;
    expect(current({ source: { url: 'env:DITTO_TEST_UNSET_SOURCE' }, dump: { path: file('OTHERDUMP') } })).toBe('other');
    expect(current({ dump: { path: '/nonexistent/ditto/dump' } })).toBe('postgresql');
  });

  it('makes each engine once, and names the engine of a URL', () => {
    expect(engines.get('postgres')).toBe(engines.get('postgres'));
    expect(engines.forUrl('other://x@127.0.0.1/db')).toBe(other);
    expect(engines.forUrl('mysql://x@127.0.0.1/db')).toBeNull();
  });
});

describe('PostgreSQL as an engine', () => {
  const pg = new PostgresEngine();

  it('builds connection strings from an endpoint and credentials, bracketing IPv6 hosts and escaping secrets', () => {
    const credentials = { user: 'postgres', password: 'p@ss/word', database: 'postgres' };
    expect(pg.connectionString({ host: '127.0.0.2', port: 5433 }, credentials)).toBe('postgresql://postgres:p%40ss%2Fword@127.0.0.2:5433/postgres?sslmode=disable');
    expect(pg.connectionString({ host: '::1', port: 5433 }, credentials)).toBe('postgresql://postgres:p%40ss%2Fword@[::1]:5433/postgres?sslmode=disable');
  });

  it('tells its dumps apart: custom archives, SQL text, and neither', async () => {
    expect(await pg.inspectDump(file('PGDMP\u0001rest'), { binDir: null })).toMatchObject({ format: 'custom', kind: 'pg_dump archive' });
    expect(await pg.inspectDump(file('CREATE TABLE t (x int);\n'), { binDir: null })).toMatchObject({ format: 'sql', kind: 'SQL' });
    await expect(pg.inspectDump(file('\u0000\u0001binary'), { binDir: null })).rejects.toMatchObject({ code: 'DUMP_INVALID' });
  });

  it('reads a start failure from its log: the FATAL line, and whether the port was taken', () => {
    const log = 'LOG:  starting PostgreSQL 15\nLOG:  could not bind IPv4 address "127.0.0.1": Address already in use\nFATAL:  could not create any TCP/IP sockets\n';
    expect(pg.startFailure(log)).toEqual({ message: 'FATAL:  could not create any TCP/IP sockets', portTaken: true });
    expect(pg.startFailure('FATAL:  data directory "/x" has invalid permissions\n')).toEqual({ message: 'FATAL:  data directory "/x" has invalid permissions', portTaken: false });
  });
});
