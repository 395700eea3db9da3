import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';
import { TestIssuer, makeKey, type TestKey } from '../helpers/oidc-issuer.js';
import { waitFor, writeState } from '../helpers/state.js';

/**
 * A team host tried as an attacker would: dump URIs that dodge the allow-list, an OIDC subject
 * equal to a static token's name, control characters in what callers name, a wrong method, and
 * errors that would tell a caller where the host keeps its files.
 */
const ALICE = 'alice-token-attack-0123456';
const OPS = 'ops-token-attack-89abcdef0';
const AUDIENCE = 'ditto-attack';

const issuer = new TestIssuer(AUDIENCE, 'unused');
let key: TestKey;
let home: TestHome;
let host: HostProcess;
let files: http.Server;
let filesUrl = '';
/** Every path the file server was asked for. */
let asked: string[] = [];

beforeAll(async () => {
  // Serves a dump under /dumps/, a secret outside it, and redirects from inside to both.
  files = http.createServer((req, res) => {
    const url = req.url ?? '';
    asked.push(url);
    if (url === '/dumps/to-secret') return void res.writeHead(302, { location: '/secret' }).end();
    if (url === '/dumps/to-dotted') return void res.writeHead(302, { location: '/dumps/%2e%2e/secret' }).end();
    if (url === '/dumps/to-seed') return void res.writeHead(302, { location: `${filesUrl}/dumps/./seed.sql` }).end();
    if (url === '/dumps/seed.sql') return void res.writeHead(200).end('CREATE TABLE fetched (x int);\n');
    if (url === '/dumps/broken.sql') return void res.writeHead(200).end('CREATE TABLE broken (x int;\n');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  await issuer.start();
  key = await makeKey('k1');
  issuer.keys = [key];
  home = new TestHome({}, { portCount: 8 });
  home.writeConfig({
    host: {
      tokens: [{ name: 'alice', token: ALICE }],
      admin_tokens: [{ name: 'ops', token: OPS }],
      dump_uris: [`${filesUrl}/dumps/`],
      oidc: { issuer: issuer.issuer, audience: AUDIENCE, jwks_url: `${issuer.url}/jwks`, owner_claim: 'sub' },
    },
  });
  host = await HostProcess.start(home);
});

afterAll(async () => {
  if (host?.child.exitCode === null) await host.stop();
  await home?.cleanup();
  await issuer.stop();
  await new Promise((resolve) => files?.close(resolve));
});

const jwt = (sub: string) => issuer.mint({ sub }, { key });

describe('dump URIs are checked in the form they are fetched', () => {
  it.each([
    ['dot segments', '/dumps/../secret'],
    ['encoded dot segments', '/dumps/%2e%2e/secret'],
    ['mixed encoded dots', '/dumps/.%2E/secret'],
    ['an encoded slash', '/dumps/..%2fsecret'],
    ['a backslash', '/dumps/..\\secret'],
    ['a look-alike prefix', '/dumps-old/seed.sql'],
    ['no trailing segment', '/dumps'],
  ])('%s: refused, and nothing outside /dumps/ is asked for', async (_what, path) => {
    asked = [];
    const res = await host.api('POST', '/v2/copies', { token: ALICE, body: { dump_uri: `${filesUrl}${path}` } });
    expect(res.status, res.text).toBe(403);
    expect(res.json.code).toBe('FORBIDDEN');
    expect(asked).toEqual([]);
  });

  it('user info in the URI is refused', async () => {
    asked = [];
    const res = await host.api('POST', '/v2/copies', { token: ALICE, body: { dump_uri: filesUrl.replace('//', '//me:pw@') + '/dumps/seed.sql' } });
    expect(res.status, res.text).toBe(403);
    expect(res.json.error).toMatch(/user info/);
    expect(res.text).not.toContain('pw@');
    expect(asked).toEqual([]);
  });

  it('a redirect out of the prefix (plain or dotted) is not followed', async () => {
    for (const hop of ['/dumps/to-secret', '/dumps/to-dotted']) {
      asked = [];
      const res = await host.api('POST', '/v2/copies', { token: ALICE, body: { dump_uri: `${filesUrl}${hop}` } });
      expect(res.status, res.text).toBe(403);
      expect(res.json.error).toMatch(/redirects to .* outside the dump URIs this host allows/);
      expect(asked).toEqual([hop]);
    }
  });

  it('what is fetched is the normal form: escapes of unreserved characters decoded, case and default port folded', async () => {
    asked = [];
    const port = new URL(filesUrl).port;
    const res = await host.api('POST', '/v2/copies', { token: ALICE, body: { dump_uri: `HTTP://127.0.0.1:${port}/dumps/./%73eed.sql`, ttl_seconds: 60 } });
    expect(res.status, res.text).toBe(201);
    expect(asked).toEqual(['/dumps/seed.sql']);
    expect((await host.api('DELETE', `/v2/copies/${res.json.id}`, { token: ALICE })).status).toBe(204);
  });

  it('a redirect within the prefix is followed to its normal form', async () => {
    asked = [];
    const res = await host.api('POST', '/v2/copies', { token: ALICE, body: { dump_uri: `${filesUrl}/dumps/to-seed`, ttl_seconds: 60 } });
    expect(res.status, res.text).toBe(201);
    expect(asked).toEqual(['/dumps/to-seed', '/dumps/seed.sql']);
    expect((await host.api('DELETE', `/v2/copies/${res.json.id}`, { token: ALICE })).status).toBe(204);
  });
});

describe('owners carry their source', () => {
  it('an OIDC subject named like a static token neither sees nor destroys its copies', async () => {
    const mine = await host.api('POST', '/v2/copies', { token: ALICE, body: { label: 'alice-static', ttl_seconds: 600 } });
    expect(mine.status, mine.text).toBe(201);
    expect(mine.json.owner).toBe('token:alice');
    for (const name of ['alice', 'token:alice', 'ops']) {
      const bearer = await jwt(name);
      const listed = await host.api('GET', '/v2/copies?all=true', { token: bearer });
      expect(listed.status).toBe(200);
      expect(listed.json).toEqual([]);
      expect((await host.api('GET', `/v2/copies/${mine.json.id}`, { token: bearer })).status).toBe(403);
      expect((await host.api('DELETE', `/v2/copies/${mine.json.id}`, { token: bearer })).status).toBe(403);
    }
    // And the other way round: the static caller does not see the OIDC caller's copy.
    const theirs = await host.api('POST', '/v2/copies', { token: await jwt('alice'), body: { ttl_seconds: 600 } });
    expect(theirs.status, theirs.text).toBe(201);
    expect(theirs.json.owner).toBe(`oidc:${issuer.issuer}#alice`);
    const alices = (await host.api('GET', '/v2/copies', { token: ALICE })).json as { id: string }[];
    expect(alices.map((c) => c.id)).toEqual([mine.json.id]);
    expect((await host.api('DELETE', `/v2/copies/${theirs.json.id}`, { token: ALICE })).status).toBe(403);
    // An admin sees both, each with its readable owner, and ls shows the column.
    const ls = await home.run(['ls', '--remote', host.url], { env: { DITTO_TOKEN: OPS } });
    expect(ls.exitCode, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/OWNER/);
    expect(ls.stdout).toContain('token:alice');
    expect(ls.stdout).toContain(`oidc:${issuer.issuer}#alice`);
    for (const id of [mine.json.id, theirs.json.id]) expect((await host.api('DELETE', `/v2/copies/${id}`, { token: OPS })).status).toBe(204);
  });

  it('a JWT owner claim with control characters is refused', async () => {
    const res = await host.api('GET', '/v2/copies', { token: await jwt('alice\u001b[2J') });
    expect(res.status).toBe(401);
    await waitFor(() => host.logLines.some((l) => l.includes('holds control characters')), 'the refusal in the log', 5000);
  });
});

describe('nothing a caller names reaches a terminal raw', () => {
  it.each(['label', 'run_id', 'job_name'])('%s with control characters: 400, one line naming the field', async (field) => {
    const res = await host.api('POST', '/v2/copies', { token: ALICE, body: { [field]: 'a\u001b[31mRED\nnext' } });
    expect(res.status, res.text).toBe(400);
    expect(res.json).toMatchObject({ code: 'BAD_INPUT', error: `${field} holds a control character (\\e)` });
  });

  it('the CLI refuses such a label with exit 2, locally and through the host', async () => {
    expectOneLineError(await home.run(['up', '--label', 'a\u001b[31mRED']), 2, /^ditto: label holds a control character \(\\e\); give label as plain printable text$/);
    expectOneLineError(await home.run(['up', '--label', 'x\u202ey', '--remote', host.url], { env: { DITTO_TOKEN: ALICE } }), 2, /label holds a control character \(\\u202e\)/);
  });

  it('ls escapes what an older ditto stored raw', async () => {
    const made = await home.upJson(['--label', 'plain', '--ttl', '5m']);
    writeState(home, 'UPDATE copies SET label = ?, job_name = ? WHERE id = ?', 'a\u001b[31mRED\nnext', 'job\u009b2J', made.id);
    const ls = await home.run(['ls']);
    expect(ls.exitCode, ls.stderr).toBe(0);
    expect(ls.stdout).not.toMatch(/[\u001b\u009b]/);
    expect(ls.stdout).toContain('a\\e[31mRED\\nnext');
    expect(ls.stdout.split('\n').filter((l) => l.startsWith(made.id))).toHaveLength(1);
    const json = await home.run(['ls', '--json']);
    expect(json.stdout).not.toMatch(/[\u001b\u009b]/);
    expect((JSON.parse(json.stdout) as { id: string; job_name: string }[]).find((c) => c.id === made.id)!.job_name).toBe('job\u009b2J');
    expect((await home.run(['down', made.id])).exitCode).toBe(0);
  });
});

describe('the wire', () => {
  it('a known path with a wrong method: 405 with Allow', async () => {
    const put = await host.api('PUT', '/v2/copies', { token: ALICE, body: {} });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST, GET');
    expect(put.json).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    const post = await host.api('POST', '/v2/copies/abc', { token: ALICE });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, DELETE, PATCH');
    expect((await host.api('PUT', '/v2/nothing', { token: ALICE })).status).toBe(404);
  });

  it("a failed restore tells the caller why, but not where the host keeps the dump; the host's log does", async () => {
    const res = await host.api('POST', '/v2/copies', { token: ALICE, body: { dump_uri: `${filesUrl}/dumps/broken.sql` } });
    expect(res.status, res.text).toBe(400);
    expect(res.json.error).toMatch(/^restoring <host path> failed: /);
    expect(res.text).not.toContain(home.dir);
    await waitFor(() => host.logLines.some((l) => l.includes('request refused') && l.includes(home.dir)), 'the whole error in the log', 5000);
    // Nor do the caller's copies, past ones included.
    expect((await host.api('GET', '/v2/copies?all=true', { token: ALICE })).text).not.toContain(home.dir);
  });

  it('leaves nothing once the copies are destroyed', async () => {
    expect((await home.run(['down', '--all'])).exitCode).toBe(0);
    expect(await leftovers(home, [])).toEqual([]);
  });
});
