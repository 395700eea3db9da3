import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type DittoClient } from '../../sdk/js/src/index.js';
import { TestHome, writePagilaSql } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { query } from '../helpers/pg.js';
import { closeHome, localOptions, thrown } from './helpers.js';

// The SDK's per-test databases, reset and extend, in both modes, over pagila.
const TOKEN = 'sdk-in-place-token-51ab';

let home: TestHome;
let host: HostProcess;
const clients: Record<'local' | 'remote', DittoClient> = {} as never;

beforeAll(async () => {
  home = new TestHome({}, { portCount: 6 });
  home.writeConfig({ dump: { path: writePagilaSql(path.join(home.dir, 'pagila.sql')) }, host: { tokens: [{ name: 'sdk', token: TOKEN }] } });
  host = await HostProcess.start(home);
  clients.local = createClient(localOptions(home));
  clients.remote = createClient({ server: host.url, token: TOKEN });
});

afterAll(() => closeHome(home, host));

const rentals = async (dsn: string) => (await query<{ n: number }>(dsn, 'SELECT count(*)::int AS n FROM rental'))[0]!.n;

describe.each(['local', 'remote'] as const)('the SDK in %s mode', (mode) => {
  it('createDatabase gives a database per test with pagila in it; dropDatabase drops it', async () => {
    const client = clients[mode];
    const copy = await client.up({ ttl: 600 });
    const [a, b] = await Promise.all([client.createDatabase(copy.id), client.createDatabase(copy.id)]);
    expect(a.database).not.toBe(b.database);
    expect(a.copyId).toBe(copy.id);
    await query(a.connectionString, 'SET session_replication_role = replica; DELETE FROM rental');
    expect([await rentals(a.connectionString), await rentals(b.connectionString)]).toEqual([0, 16044]);
    await client.dropDatabase(copy.id, a.database);
    expect((await thrown(() => client.dropDatabase(copy.id, a.database))).code).toBe('NOT_FOUND');
    await client.down(copy.id);
  });

  it('reset puts the data back under the same connection string; extend moves the expiry', async () => {
    const client = clients[mode];
    const copy = await client.up({ ttl: 600 });
    await query(copy.connectionString, 'SET session_replication_role = replica; DELETE FROM rental');
    const reset = await client.reset(copy.id);
    expect(reset.connectionString).toBe(copy.connectionString);
    expect(await rentals(copy.connectionString)).toBe(16044);
    const extended = await client.extend(copy.id, 7200);
    expect(Date.parse(extended.expiresAt!)).toBeGreaterThan(Date.now() + 7190_000);
    await client.down(copy.id);
  });
});
