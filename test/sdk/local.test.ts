import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DittoError, createClient, down, events, list, status, up, withCopy, type DittoClient } from '../../sdk/js/src/index.js';
import { TestHome } from '../helpers/ditto.js';
import { query } from '../helpers/pg.js';
import { closeHome, localOptions, thrown } from './helpers.js';

// The SDK in local mode: every call runs the built CLI (through a DITTO_BIN wrapper) with --json.
let home: TestHome;
let options: ReturnType<typeof localOptions>;
let client: DittoClient;

beforeAll(() => {
  home = new TestHome({}, { portCount: 6 });
  options = localOptions(home);
  client = createClient(options);
});

afterAll(() => closeHome(home));

describe('the SDK in local mode', () => {
  it('picks local mode without a server', () => {
    expect(client.mode).toBe('local');
  });

  it('up, list, events, status and down: each the CLI, read into the SDK types', async () => {
    const copy = await up({ ...options, ttl: '10m', label: 'sdk-local' });
    expect(copy).toMatchObject({ status: 'ready', runtime: 'local', host: '127.0.0.1', label: 'sdk-local', ttlSeconds: 600, destroyedAt: null });
    expect(copy.connectionString).toMatch(/^postgresql:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\//);
    expect(copy.port).toBe(Number(new URL(copy.connectionString).port));
    expect(Date.parse(copy.expiresAt!) - Date.parse(copy.readyAt!)).toBe(600_000);
    // ditto's notes on stderr ("hint: ...") come back as notices.
    expect(copy.notices.join('\n')).toMatch(/no dump configured/);
    expect(await query(copy.connectionString, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);

    expect((await list(options)).map((c) => [c.id, c.label, c.status])).toEqual([[copy.id, 'sdk-local', 'ready']]);
    const steps = await events(copy.id, options);
    expect(steps.map((e) => e.action)).toEqual(expect.arrayContaining(['created', 'ready']));
    expect(steps[0]).toMatchObject({ actor: 'cli', metadata: expect.objectContaining({ ttl_seconds: 600 }) });
    expect(typeof steps[0]!.createdAt).toBe('string');

    const report = await status(options);
    expect(report).toMatchObject({ activeCopies: 1, provisioningCopies: 0, advertiseHost: null, portRange: home.ports, runtime: { name: 'local' } });
    expect(report.version).toMatch(/^\d+\.\d+\.\d+/);

    await down(copy.id, options);
    expect(await client.list()).toEqual([]);
    expect((await client.list({ all: true })).find((c) => c.id === copy.id)).toMatchObject({ status: 'destroyed' });
    // Destroying it again is no error: it is gone, as asked.
    await client.down(copy.id);
  });

  it('up({ name }) twice at once: one copy, named; downNamed destroys it and the next up makes a new one', async () => {
    const [a, b] = await Promise.all([client.up({ name: 'sdk-pr-1', ttl: '10m' }), client.up({ name: 'sdk-pr-1', ttl: '10m' })]);
    expect(b!.id).toBe(a!.id);
    expect(a).toMatchObject({ name: 'sdk-pr-1', ttlSeconds: 600 });
    expect((await client.list()).filter((c) => c.name === 'sdk-pr-1').map((c) => c.id)).toEqual([a!.id]);
    expect(await client.downNamed('sdk-pr-1')).toBe(true);
    expect(await client.downNamed('sdk-pr-1')).toBe(false);
    const next = await client.up({ name: 'sdk-pr-1', ttl: '10m' });
    expect(next.id).not.toBe(a!.id);
    await client.down(next.id);
  });

  it('withCopy hands the copy to fn and destroys it after, also when fn throws', async () => {
    let seen = '';
    const value = await withCopy({ ...options, label: 'sdk-with' }, async (copy) => {
      seen = copy.id;
      return (await query<{ n: number }>(copy.connectionString, 'SELECT 2 AS n'))[0]!.n;
    });
    expect(value).toBe(2);
    let failed = '';
    const boom = await thrown(() =>
      withCopy({ ...options, label: 'sdk-throws' }, async (copy) => {
        failed = copy.id;
        await query(copy.connectionString, 'SELECT 1');
        throw new Error('the test failed');
      }),
    );
    expect(boom.message).toBe('the test failed');
    expect(await client.list()).toEqual([]);
    const past = await client.list({ all: true });
    for (const id of [seen, failed]) expect(past.find((c) => c.id === id)?.status).toBe('destroyed');
  });

  it('typed errors: an unknown id is NOT_FOUND with exit code 4 and the CLI hint', async () => {
    for (const call of [() => client.down('nosuchcopy1'), () => client.events('nosuchcopy1')]) {
      const err = await thrown(call);
      expect(err).toBeInstanceOf(DittoError);
      expect(err).toMatchObject({ code: 'NOT_FOUND', status: 4, message: "no copy with id 'nosuchcopy1'", hint: 'run `ditto ls --all` to see copies' });
    }
  });

  it('typed errors: a failing ditto (a dump that is not there) carries its exit code and line', async () => {
    const err = await thrown(() => client.up({ dump: `${home.dir}/missing.sql` }));
    expect(err).toBeInstanceOf(DittoError);
    expect(err).toMatchObject({ code: 'DUMP_INVALID', status: 65 });
    expect(err.message).toContain('missing.sql');
    expect(await client.list()).toEqual([]);
  });

  it('typed errors: bad input is refused before ditto runs; a missing executable says how to fix it', async () => {
    expect(await thrown(() => client.up({ ttl: 'soon' }))).toMatchObject({ code: 'BAD_INPUT', status: 2, message: "bad TTL 'soon'" });
    expect(await thrown(() => client.up({ ttl: -5 }))).toMatchObject({ code: 'BAD_INPUT' });
    expect(await thrown(() => client.down('--all'))).toMatchObject({ code: 'BAD_INPUT', message: "'--all' is not a copy id" });
    const missing = await thrown(() => createClient({ ...options, bin: `${home.dir}/no-such-ditto` }).list());
    expect(missing).toMatchObject({ code: 'COMMAND_NOT_FOUND', status: 127 });
    expect(missing.hint).toMatch(/DITTO_BIN/);
  });
});
