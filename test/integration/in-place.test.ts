import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError, type CopyJson } from '../helpers/ditto.js';
import { ENGINE_RUNTIME_CASES, countRows, query } from '../helpers/engines.js';
import { HostProcess } from '../helpers/host-process.js';
import { dataRootOf, leftovers } from '../helpers/leaks.js';
import { readCopies, waitFor } from '../helpers/state.js';

/** A copy in use, changed without changing how it is reached: reset, extend, databases per test. */

describe.each(ENGINE_RUNTIME_CASES)('ditto reset ($name)', (c) => {
  let home: TestHome;

  beforeAll(() => {
    home = new TestHome(c.config, { portCount: 6 });
    home.writeConfig({ ...c.config, dump: { path: c.sample.write(path.join(home.dir, c.sample.file)) } });
  });

  afterAll(async () => home.cleanup());

  it('a write is gone after the reset; the DSN is identical and connects', async () => {
    const copy = await home.upJson();
    const dsn = copy.connection_string!;
    const table = `${c.sample.schema}.${c.sample.table}`;
    // Rows other tables refer to: the foreign keys are switched off for this session.
    const noKeys = c.engine === 'postgres' ? 'SET session_replication_role = replica' : 'SET FOREIGN_KEY_CHECKS = 0';
    await query(dsn, `CREATE TABLE ${c.sample.schema}.scratch (x int); ${noKeys}; DELETE FROM ${table} WHERE rental_id > 100`);
    expect(await countRows(dsn, table)).toBe(100);
    const reset = await home.run(['reset', copy.id]);
    expect(reset.exitCode, reset.stderr).toBe(0);
    expect(reset.stdout.trim()).toBe(dsn);
    expect(await countRows(dsn, table)).toBe(c.sample.rows);
    await expect(query(dsn, `SELECT * FROM ${c.sample.schema}.scratch`)).rejects.toThrow(c.errors.missingTable);
    const [listed] = (await home.ls()).filter((l) => l.id === copy.id);
    expect({ port: listed!.port, expires: listed!.expires_at }).toEqual({ port: copy.port, expires: copy.expires_at });
    expect((await home.run(['logs', copy.id])).stdout).toMatch(/resetting[\s\S]*\breset\b/);
    await home.run(['down', copy.id]);
    expect(await leftovers(home, [copy.port!], [copy.id])).toEqual([]);
  });

  if (c.runtime !== 'local') return;

  it('killed mid-reset: the next command fails the copy with the reason and leaves nothing', async () => {
    const copy = await home.upJson();
    const marker = path.join(home.dir, 'mid-reset');
    const child = home.spawn(['reset', copy.id], { DITTO_FAILPOINT: 'reset-after-server-start', DITTO_FAILPOINT_FILE: marker });
    await waitFor(() => fs.existsSync(marker) || undefined, 'the reset to start the new server');
    expect(readCopies(home).find((r) => r.id === copy.id)!.status).toBe('creating');
    // A second reset meanwhile is refused, not run twice.
    expectOneLineError(await home.run(['reset', copy.id]), 5, /copy \w+ is creating: only a ready copy can be reset/);
    // What a reset killed between moving the old files aside and removing them leaves.
    const aside = path.join(dataRootOf(home), `${copy.id}.retired-1-1`);
    fs.mkdirSync(path.join(aside, 'data'), { recursive: true });
    process.kill(child.pid!, 'SIGKILL');
    await child;
    const record = (await home.ls(true)).find((l) => l.id === copy.id)!;
    expect(record.status).toBe('failed');
    expect(record.error_message).toMatch(new RegExp(`the process driving it \\(pid ${child.pid}\\) died while it was creating`));
    expect(await leftovers(home, [copy.port!], [copy.id])).toEqual([]);
  });
});

describe('ditto extend', () => {
  const ALICE = 'alice-extend-token-0123';
  const BOB = 'bob-extend-token-4567';
  let home: TestHome;

  beforeAll(() => {
    home = new TestHome({ max_ttl: '1d' }, { portCount: 6 });
  });

  afterAll(async () => home.cleanup());

  it('the new TTL counts from now, and the maintainer honours it both ways', async () => {
    const short = await home.upJson(['--ttl', '3s']);
    const long = await home.upJson(['--ttl', '1h']);
    const extended = await home.run(['extend', short.id, '--ttl', '1h', '--json']);
    expect(extended.exitCode, extended.stderr).toBe(0);
    const expires = Date.parse((JSON.parse(extended.stdout) as CopyJson).expires_at!);
    expect(expires).toBeGreaterThan(Date.now() + 3590_000);
    expect((await home.run(['extend', long.id, '--ttl', '2s'])).exitCode).toBe(0);
    // No command from here on: the detached maintainer alone ends the one now due, and keeps the other.
    await waitFor(() => readCopies(home).find((r) => r.id === long.id)?.status === 'destroyed' || undefined, 'the maintainer to expire the shortened copy', 30_000);
    expect(readCopies(home).find((r) => r.id === short.id)!.status).toBe('ready');
  });

  it('past max_ttl, one line and nothing changes; an unknown id is one line', async () => {
    const copy = await home.upJson(['--ttl', '10m']);
    expectOneLineError(await home.run(['extend', copy.id, '--ttl', '2d']), 2, /a TTL of 2d is past the most this home allows \(max_ttl: 1d\)/);
    expectOneLineError(await home.run(['up', '--ttl', '3d']), 2, /max_ttl: 1d/);
    expect((await home.ls()).find((l) => l.id === copy.id)!.expires_at).toBe(copy.expires_at);
    expectOneLineError(await home.run(['extend', 'nosuchcopy12', '--ttl', '1h']), 4, /no copy/);
    expectOneLineError(await home.run(['extend', copy.id, '--ttl', 'soon']), 2, /TTL/);
  });

  it('through a host: PATCH /v2/copies/{id} extends the caller’s copy; another caller’s is refused with 403', async () => {
    home.writeConfig({ max_ttl: '1d', host: { tokens: [{ name: 'alice', token: ALICE }, { name: 'bob', token: BOB }] } });
    const host = await HostProcess.start(home);
    try {
      const made = await host.api('POST', '/v2/copies', { token: ALICE, body: { ttl_seconds: 60 } });
      const id = made.json.id as string;
      const patched = await host.api('PATCH', `/v2/copies/${id}`, { token: ALICE, body: { ttl_seconds: 7200 } });
      expect(patched.status).toBe(200);
      expect(Date.parse(patched.json.expires_at)).toBeGreaterThan(Date.now() + 7190_000);
      expect((await host.api('PATCH', `/v2/copies/${id}`, { token: BOB, body: { ttl_seconds: 7200 } })).status).toBe(403);
      expect((await host.api('PATCH', `/v2/copies/${id}`, { token: ALICE, body: { ttl_seconds: 'long' } })).status).toBe(400);
      expect((await host.api('PATCH', `/v2/copies/${id}`, { token: ALICE, body: { ttl_seconds: 3 * 86400 } })).json).toMatchObject({ code: 'BAD_INPUT', error: expect.stringMatching(/max_ttl/) });
      const viaCli = await home.run(['extend', id, '--ttl', '3h'], { env: { DITTO_SERVER: host.url, DITTO_TOKEN: ALICE } });
      expect(viaCli.exitCode, viaCli.stderr).toBe(0);
      expect((await host.api('DELETE', `/v2/copies/${id}`, { token: ALICE })).status).toBe(204);
    } finally {
      await host.stop();
    }
  });
});
