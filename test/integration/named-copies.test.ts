import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError, type CopyJson } from '../helpers/ditto.js';
import { query } from '../helpers/engines.js';
import { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';

/** Named copies (`up --name`): one live copy of a name per owner, whoever asks for it and however many at once. */
type Named = CopyJson & { name: string | null; owner: string | null; ttl_seconds: number };

describe('up --name on this machine', () => {
  let home: TestHome;

  beforeAll(() => {
    home = new TestHome({}, { portCount: 8 });
  });

  afterAll(async () => {
    await home.run(['down', '--all']);
    const left = await leftovers(home);
    await home.cleanup();
    expect(left).toEqual([]);
  });

  it('twice: the same copy, its TTL renewed to the new one; ls shows its NAME', async () => {
    const first = (await home.upJson(['--name', 'pr-1', '--ttl', '10m'])) as Named;
    expect(first).toMatchObject({ name: 'pr-1', ttl_seconds: 600, status: 'ready' });
    const again = await home.run(['up', '--json', '--name', 'pr-1', '--ttl', '20m']);
    expect(again.exitCode, again.stderr).toBe(0);
    const second = JSON.parse(again.stdout) as Named;
    expect(second.id).toBe(first.id);
    expect(second.connection_string).toBe(first.connection_string);
    expect(second.ttl_seconds).toBe(1200);
    expect(Date.parse(second.expires_at!)).toBeGreaterThan(Date.parse(first.expires_at!) + 500_000);
    expect(again.stderr).toContain(`copy ${first.id} named pr-1 was live`);
    await expect(query(second.connection_string!, 'SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);

    const listed = (await home.ls()) as Named[];
    expect(listed.filter((c) => c.name === 'pr-1').map((c) => c.id)).toEqual([first.id]);
    const table = await home.run(['ls']);
    expect(table.stdout.split('\n')[0]).toMatch(/\bLABEL\s+NAME\b/);
    expect(table.stdout).toMatch(new RegExp(`${first.id}.*\\bpr-1\\b`));
  });

  it('concurrently: one copy for every caller of the name, from the pool or made', async () => {
    const runs = await Promise.all([1, 2, 3, 4].map(() => home.run(['up', '--json', '--name', 'race', '--ttl', '10m'])));
    for (const r of runs) expect(r.exitCode, r.stderr).toBe(0);
    const ids = new Set(runs.map((r) => (JSON.parse(r.stdout) as Named).id));
    expect(ids.size).toBe(1);
    const live = ((await home.ls()) as Named[]).filter((c) => c.name === 'race');
    expect(live.map((c) => c.id)).toEqual([...ids]);
  });

  it('down --name destroys it; the next up --name makes a new one', async () => {
    const before = (await home.upJson(['--name', 'gone', '--ttl', '10m'])) as Named;
    const down = await home.run(['down', '--name', 'gone']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toBe(`destroyed ${before.id}`);
    const none = await home.run(['down', '--name', 'gone']);
    expect(none.stderr).toContain('no copies to destroy');
    const after = (await home.upJson(['--name', 'gone', '--ttl', '10m'])) as Named;
    expect(after.id).not.toBe(before.id);
    expect(after.name).toBe('gone');
    expect(((await home.ls(true)) as Named[]).find((c) => c.id === before.id)?.status).toBe('destroyed');
  });

  it('a name that is not one is refused in one line, nothing made', async () => {
    for (const bad of ['-dash-first', 'has space', 'x'.repeat(64), 'bell\u0007']) {
      expectOneLineError(await home.run(['up', `--name=${bad}`]), 2, /name .* is not a copy name/);
    }
    expectOneLineError(await home.run(['down', '--name', 'a/b']), 2, /is not a copy name/);
  });
});

describe('up --name on a shared host', () => {
  const ALICE = 'alice-token-0123456789';
  const BOB = 'bob-token-0123456789';
  let home: TestHome | null = null;
  let host: HostProcess | null = null;

  afterEach(async () => {
    if (host && host.child.exitCode === null) await host.stop();
    host = null;
    if (home) {
      await home.run(['pool', 'drain']);
      await home.run(['down', '--all']);
      const left = await leftovers(home);
      await home.cleanup();
      home = null;
      expect(left).toEqual([]);
    }
  });

  it('two callers with the same name, each asking twice at once: two copies, one each; down --name frees only the caller\'s', async () => {
    home = new TestHome({ pool: { size: 1 }, host: { tokens: [{ name: 'alice', token: ALICE }, { name: 'bob', token: BOB }] } }, { portCount: 8 });
    host = await HostProcess.start(home);
    const h = host;
    const ask = (token: string) => h.api('POST', '/v2/copies', { token, body: { name: 'pr-7', ttl_seconds: 600 } });
    const answers = await Promise.all([ask(ALICE), ask(BOB), ask(ALICE), ask(BOB)]);
    for (const a of answers) expect(a.status, a.text).toBe(201);
    const [a1, b1, a2, b2] = answers.map((a) => a.json as Named);
    expect(a2!.id).toBe(a1!.id);
    expect(b2!.id).toBe(b1!.id);
    expect(b1!.id).not.toBe(a1!.id);
    expect(a1).toMatchObject({ name: 'pr-7', owner: 'token:alice' });
    expect(b1).toMatchObject({ name: 'pr-7', owner: 'token:bob' });

    const bad = await h.api('POST', '/v2/copies', { token: ALICE, body: { name: '../etc' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/not a copy name/);

    // The CLI against the host: alice's copy of the name goes, bob's stays; alice's next is new.
    const remote = { DITTO_SERVER: h.url, DITTO_TOKEN: ALICE };
    const down = await home.run(['down', '--name', 'pr-7'], { env: remote });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toBe(`destroyed ${a1!.id}`);
    const bobs = (await h.api('GET', '/v2/copies?name=pr-7', { token: BOB })).json as Named[];
    expect(bobs.map((c) => c.id)).toEqual([b1!.id]);
    const again = await home.run(['up', '--json', '--name', 'pr-7'], { env: remote });
    expect(again.exitCode, again.stderr).toBe(0);
    const a3 = JSON.parse(again.stdout) as Named;
    expect(a3.id).not.toBe(a1!.id);
    const ls = await home.run(['ls'], { env: remote });
    expect(ls.stdout).toMatch(new RegExp(`${a3.id}.*\\bpr-7\\b`));
  });
});
