import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortHeld } from '../../src/copies/port-pool.js';
import { TestHome, type CopyJson } from '../helpers/ditto.js';
import { ContractProxy } from '../helpers/contract-proxy.js';
import { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';
import { query } from '../helpers/pg.js';

// The CLI in remote mode against one `ditto host` on 127.0.0.1, compared with the same commands
// run locally on the host's own home.
const ALICE = 'alice-remote-token';
const BOB = 'bob-remote-token';

let server: TestHome;
let client: TestHome;
let host: HostProcess;
/** The host as the CLI reaches it: every answer the CLI gets is checked against docs/openapi.json. */
let checked: ContractProxy;

/** The client's environment: a home of its own (unused in remote mode), the host, a token. */
function remoteEnv(token: string | undefined = ALICE): Record<string, string> {
  return { DITTO_SERVER: checked.url, DITTO_TOKEN: token ?? '' };
}

/** A loopback port nothing listens on: one the kernel handed out and we let go. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const remote = (args: string[], token?: string) => client.run(args, { env: remoteEnv(token) });
const local = (args: string[]) => server.run(args);

beforeAll(async () => {
  server = new TestHome(
    {
      runtime: 'local',
      host: { tokens: [{ name: 'alice', token: ALICE }, { name: 'bob', token: BOB }] },
    },
    { portCount: 8 },
  );
  client = new TestHome({}, { portCount: 1 });
  host = await HostProcess.start(server);
  checked = await ContractProxy.start(host.url);
});

afterAll(async () => {
  await checked?.close();
  expect(checked?.checked).toBeGreaterThan(0);
  expect(checked?.problems).toEqual([]);
  if (host?.child.exitCode === null) expect(await host.stop()).toBe(0);
  await client?.cleanup();
  await server?.cleanup();
  expect(await leftovers(server)).toEqual([]);
});

describe('the CLI with --remote / DITTO_SERVER', () => {
  it('up on a pipe prints the connection string alone, and the copy works', async () => {
    const result = await remote(['up', '--ttl', '10m']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^postgresql:\/\/postgres:[^@\s]+@127\.0\.0\.1:\d+\/postgres\?sslmode=disable$/);
    expect(await query(result.stdout, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    // Same hint on stderr as locally (no dump configured).
    expect(result.stderr).toMatch(/^hint: no dump configured/m);
  });

  it('up --json prints the same fields as locally', async () => {
    const [remoteUp, localUp] = await Promise.all([remote(['up', '--json', '--label', 'json']), local(['up', '--json', '--label', 'json-local'])]);
    expect(remoteUp.exitCode, remoteUp.stderr).toBe(0);
    expect(localUp.exitCode, localUp.stderr).toBe(0);
    const r = JSON.parse(remoteUp.stdout) as CopyJson & Record<string, unknown>;
    const l = JSON.parse(localUp.stdout) as CopyJson & Record<string, unknown>;
    expect(Object.keys(r)).toEqual(Object.keys(l));
    expect({ status: r.status, warm: r.warm, runtime: r.runtime, host: r.host, label: r.label }).toEqual({ status: 'ready', warm: false, runtime: 'local', host: '127.0.0.1', label: 'json' });
    expect(r.connection_string).toContain(`:${r.port}/`);
    await local(['down', l.id]);
  });

  it('--remote URL works as DITTO_SERVER does; ls prints the same table as locally, only the caller’s copies', async () => {
    const bobs = await remote(['up', '--label', 'bobs'], BOB);
    expect(bobs.exitCode, bobs.stderr).toBe(0);
    const viaFlag = await client.run(['--remote', checked.url, 'ls'], { env: { DITTO_TOKEN: ALICE } });
    const viaEnv = await remote(['ls']);
    expect(viaFlag.exitCode, viaFlag.stderr).toBe(0);
    expect(viaFlag.stdout.split('\n')[0]).toBe(viaEnv.stdout.split('\n')[0]);
    const header = (await local(['ls'])).stdout.split('\n')[0];
    expect(viaEnv.stdout.split('\n')[0]).toBe(header);
    expect(viaEnv.stdout).toMatch(/\bjson\b/);
    const json = JSON.parse((await remote(['ls', '--json'])).stdout) as CopyJson[];
    const localJson = JSON.parse((await local(['ls', '--json'])).stdout) as CopyJson[];
    expect(Object.keys(json[0]!)).toEqual(Object.keys(localJson[0]!));
    // The host measures what each copy owns on its disk, as a local ls does.
    expect(json[0]!.disk_bytes).toBeGreaterThan(0);
    expect(json.every((c) => c.label !== 'bobs')).toBe(true);
    expect((await remote(['down', '--label', 'bobs'], BOB)).stdout).toMatch(/^destroyed /);
  });

  it('env prints shell export lines for a remote copy', async () => {
    const result = await remote(['env', '--label', 'env']);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^export DATABASE_URL='postgresql:\/\/[^']+'$/);
    expect(lines[1]).toMatch(/^export DITTO_COPY_ID='[0-9a-z]{12}'$/);
    const fish = await remote(['env', '--shell', 'fish', '--label', 'env']);
    expect(fish.stdout).toMatch(/^set -gx DATABASE_URL /m);
  });

  it('run passes the command’s exit code through and destroys the copy', async () => {
    const idFile = path.join(client.dir, 'copy-id');
    const result = await remote(['run', '--', 'sh', '-c', `printf %s "$DITTO_COPY_ID" > '${idFile}'; test -n "$DATABASE_URL" && exit 7`]);
    expect(result.exitCode, result.stderr).toBe(7);
    const id = fs.readFileSync(idFile, 'utf8');
    const all = JSON.parse((await remote(['ls', '--all', '--json'])).stdout) as CopyJson[];
    expect(all.find((c) => c.id === id)?.status).toBe('destroyed');
  });

  it('down destroys by id and by label; another caller’s copy is refused with one line', async () => {
    const dsn = (await remote(['up', '--label', 'gone'])).stdout;
    const port = Number(new URL(dsn).port);
    const [mine] = (JSON.parse((await remote(['ls', '--json'])).stdout) as CopyJson[]).filter((c) => c.label === 'gone');
    const bob = await remote(['down', mine!.id], BOB);
    expect(bob.exitCode).toBe(77);
    expect(bob.stderr.trim().split('\n')).toEqual([`ditto: copy ${mine!.id} belongs to another caller; use the token that made it`]);
    const down = await remote(['down', mine!.id]);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toBe(`destroyed ${mine!.id}`);
    expect(await isPortHeld(port)).toBe(false);
    const again = await remote(['down', mine!.id]);
    expect(again.stderr).toBe(`${mine!.id} was already destroyed`);
    // A typo among the ids destroys nothing.
    await remote(['up', '--label', 'env']);
    const typo = await remote(['down', (JSON.parse((await remote(['ls', '--json'])).stdout) as CopyJson[])[0]!.id, 'zzzzzzzzzzzz']);
    expect(typo.exitCode).toBe(4);
    expect(typo.stderr).toMatch(/no copy with id 'zzzzzzzzzzzz'/);
    const byLabel = await remote(['down', '--label', 'env']);
    expect(byLabel.exitCode, byLabel.stderr).toBe(0);
    expect(byLabel.stdout.split('\n').every((l) => /^destroyed [0-9a-z]{12}$/.test(l))).toBe(true);
  });

  it('logs prints the copy’s events as locally', async () => {
    const up = JSON.parse((await remote(['up', '--json'])).stdout) as CopyJson;
    const logs = await remote(['logs', up.id]);
    expect(logs.exitCode, logs.stderr).toBe(0);
    const lines = logs.stdout.split('\n');
    expect(lines.map((l) => l.split(/\s+/)[1])).toEqual(['created', 'creating', 'ready']);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}created +host:token:alice +runtime=local/);
    const localUp = JSON.parse((await local(['up', '--json'])).stdout) as CopyJson;
    const localLines = (await local(['logs', localUp.id])).stdout.split('\n');
    expect(localLines.map((l) => l.split(/\s+/)[1])).toEqual(['created', 'creating', 'ready']);
    await local(['down', localUp.id]);
    await remote(['down', up.id]);
  });

  it('status reports the remote runtime with the host’s URL, and the host’s figures', async () => {
    const status = await remote(['status']);
    expect(status.exitCode, status.stderr).toBe(0);
    const labels = (text: string) => text.split('\n').map((l) => l.slice(0, 8).trim());
    expect(labels(status.stdout)).toEqual(labels((await local(['status'])).stdout));
    expect(status.stdout).toMatch(new RegExp(`^runtime remote \\(${checked.url.replace(/[.]/g, '\\.')}\\)$`, 'm'));
    expect(status.stdout).toMatch(/copies run on the host with local/);
    expect(status.stdout).toMatch(new RegExp(`^ports {3}\\d+ free of ${server.ports.min}-${server.ports.max}$`, 'm'));
    const json = JSON.parse((await remote(['status', '--json'])).stdout);
    expect(json.runtime.name).toBe('remote');
    expect(json.runtime.reason).toBe(checked.url);
  });

  it('refuses a local --dump path before asking the host', async () => {
    const before = (await host.api('GET', '/v2/copies?all=true', { token: ALICE })).json.length;
    const result = await remote(['up', '--dump', './local.dump']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toMatch(/^ditto: --dump \.\/local\.dump is a local file, which the host at http:\/\/127\.0\.0\.1:\d+ cannot read; give an http\(s\):\/\/ or s3:\/\/ URL/);
    expect((await host.api('GET', '/v2/copies?all=true', { token: ALICE })).json.length).toBe(before);
  });

  it('says what to do without a token, with a wrong one, and when the host cannot be reached', async () => {
    const none = await remote(['ls'], '');
    expect(none.exitCode).toBe(77);
    expect(none.stderr.trim()).toMatch(/^ditto: DITTO_TOKEN is not set; .*export DITTO_TOKEN=/);
    const wrong = await remote(['ls'], 'not-a-token');
    expect(wrong.exitCode).toBe(77);
    expect(wrong.stderr.trim()).toBe('ditto: invalid token; check DITTO_TOKEN against the host operator');
    const closed = await closedPort();
    const away = await client.run(['--remote', `http://127.0.0.1:${closed}`, 'ls'], { env: { DITTO_TOKEN: ALICE } });
    expect(away.exitCode).toBe(69);
    expect(away.stderr.trim()).toMatch(new RegExp(`^ditto: cannot reach the ditto host at http://127\\.0\\.0\\.1:${closed}: ECONNREFUSED; check --remote`));
  });
});

describe('the CLI against an established v2 host', () => {
  it('down works without GET /v2/copies/{id}: the caller’s list finds the id, DELETE removes it; a typo destroys nothing', async () => {
    // The established host's routes, in front of ours: GET of one copy is answered 404 as it has no such route.
    const seen: string[] = [];
    const proxy = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.method === 'GET' && /^\/v2\/copies\/[^/?]+$/.test(req.url ?? '')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      const target = new URL(host.url);
      const upstream = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    const env = { DITTO_SERVER: url, DITTO_TOKEN: ALICE };
    try {
      const made = JSON.parse((await client.run(['up', '--json'], { env })).stdout) as CopyJson;
      const typo = await client.run(['down', made.id, 'zzzzzzzzzzzz'], { env });
      expect(typo.exitCode).toBe(4);
      expect(typo.stderr.trim()).toMatch(/^ditto: no copy with id 'zzzzzzzzzzzz'/);
      expect((await host.api('GET', `/v2/copies/${made.id}`, { token: ALICE })).json.status).toBe('ready');
      const down = await client.run(['down', made.id.slice(0, 6)], { env });
      expect(down.exitCode, down.stderr).toBe(0);
      expect(down.stdout.trim()).toBe(`destroyed ${made.id}`);
      expect(seen).toContain(`DELETE /v2/copies/${made.id}`);
      expect((await host.api('GET', `/v2/copies/${made.id}`, { token: ALICE })).json.status).toBe('destroyed');
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
