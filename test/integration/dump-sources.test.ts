import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';
import { leftovers } from '../helpers/leaks.js';
import { query } from '../helpers/pg.js';
import { ReferenceServer } from '../helpers/reference-pg.js';

const S3_KEYS = { access_key_id: 'S3RVER', secret_access_key: 'S3RVER' };

/** Counts what the servers were asked, by route: a cache hit must not fetch a body again. */
const bodiesServed = new Map<string, number>();
const served = (route: string) => bodiesServed.get(route) ?? 0;
const count = (route: string) => bodiesServed.set(route, served(route) + 1);

/**
 * Serves the dump as a static file server would (ETag, 304 on If-None-Match), plus the ways a
 * server goes wrong: 404, an announced size over the limit, an endless body with no size, a body
 * cut short, and content that is not a dump.
 */
function dumpHandler(dump: Buffer): http.RequestListener {
  const etag = `"${crypto.createHash('sha1').update(dump).digest('hex')}"`;
  return (req, res) => {
    const route = req.url ?? '';
    if (route === '/pagila.dump') {
      if (req.headers['if-none-match'] === etag) return res.writeHead(304, { etag }).end();
      count(route);
      return res.writeHead(200, { etag, 'content-length': dump.length }).end(dump);
    }
    if (route === '/moved') return res.writeHead(302, { location: '/pagila.dump' }).end();
    if (route === '/huge.dump') {
      count(route);
      return res.writeHead(200, { 'content-length': 50 * 2 ** 30 }).end();
    }
    if (route === '/endless.dump') {
      count(route);
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const timer = setInterval(() => res.write(chunk), 1);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (route === '/short.dump') {
      count(route);
      res.writeHead(200, { 'content-length': dump.length });
      return res.end(dump.subarray(0, 1000), () => res.destroy());
    }
    if (route === '/garbage.dump') {
      count(route);
      return res.writeHead(200).end(Buffer.from([0, 1, 2, 3, 0xff, 0]));
    }
    res.writeHead(404).end('not found');
  };
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A request counter in front of the S3 server: GETs of the object are downloads, HEADs are not. */
function countingProxy(target: number): http.Server {
  return http.createServer((req, res) => {
    if (req.method === 'GET') count(`s3:${req.url?.split('?')[0]}`);
    const upstream = http.request({ host: '127.0.0.1', port: target, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
}

describe('--dump from a path, http(s):// and s3:// on 127.0.0.1', () => {
  let home: TestHome;
  let source: ReferenceServer;
  let dump: Buffer;
  let dumpSha: string;
  let tmp: string;
  let httpUrl: string;
  let httpsUrl: string;
  let caFile: string;
  let s3Endpoint: string;
  const servers: { close: (cb?: () => void) => unknown }[] = [];
  let s3: S3rver;
  let base: Record<string, unknown>;

  const cacheDir = () => path.join(home.dir, 'cache', 'dumps');
  const cached = () => (fs.existsSync(cacheDir()) ? fs.readdirSync(cacheDir()).filter((f) => f !== 'uris').sort() : []);
  const rowsOf = async (dsn: string) => (await query<{ n: string }>(dsn, 'SELECT count(*) AS n FROM film'))[0]!.n;

  beforeAll(async () => {
    // The SDK's notice about future Node versions, from the test's own client: noise in the test output.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    home = new TestHome({}, { portCount: 10 });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-sources-'));
    source = new ReferenceServer(home.ports.max);
    await source.start();
    await source.psql("CREATE TABLE film (id int PRIMARY KEY, title text NOT NULL); INSERT INTO film SELECT g, 'film ' || g FROM generate_series(1, 250) g");
    const dumpFile = path.join(tmp, 'small.dump');
    await source.dump(dumpFile, 'custom');
    await source.stop();
    dump = fs.readFileSync(dumpFile);
    dumpSha = crypto.createHash('sha256').update(dump).digest('hex');

    const plain = http.createServer(dumpHandler(dump));
    servers.push(plain);
    httpUrl = `http://127.0.0.1:${await listen(plain)}`;

    // A self-signed certificate for 127.0.0.1, made here: the client trusts it only when told to.
    const key = path.join(tmp, 'key.pem');
    caFile = path.join(tmp, 'cert.pem');
    await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', caFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    const secure = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(caFile) }, dumpHandler(dump));
    servers.push(secure);
    httpsUrl = `https://127.0.0.1:${await listen(secure)}`;

    s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: path.join(tmp, 's3'), configureBuckets: [{ name: 'dumps', configs: [] }] });
    const { port: s3Port } = await s3.run();
    const proxy = countingProxy(s3Port);
    servers.push(proxy);
    s3Endpoint = `http://127.0.0.1:${await listen(proxy)}`;
    const client = new S3Client({ region: 'us-east-1', endpoint: s3Endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    await client.send(new PutObjectCommand({ Bucket: 'dumps', Key: 'nightly/pagila.dump', Body: dump }));
    client.destroy();

    base = { runtime: 'local', ports: { min: home.ports.min, max: home.ports.max - 1 }, dump: { s3: { endpoint: s3Endpoint, region: 'us-east-1', ...S3_KEYS } } };
    home.writeConfig(base);
  });

  afterAll(async () => {
    await home.run(['down', '--all']);
    for (const server of servers) await new Promise<void>((r) => server.close(() => r()));
    await s3.close();
    expect(await leftovers(home)).toEqual([]);
    await home.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('http://: downloaded once into the cache, private, then served from it (the server answers 304)', async () => {
    const first = await home.run(['up', '--dump', `${httpUrl}/pagila.dump`]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(await rowsOf(first.stdout)).toBe('250');
    expect(cached()).toEqual([`${dumpSha}.dump`]);
    expect(fs.statSync(path.join(cacheDir(), `${dumpSha}.dump`)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(cacheDir()).mode & 0o777).toBe(0o700);
    const version = fs.statSync(path.join(cacheDir(), `${dumpSha}.dump`)).mtimeMs;
    const second = await home.run(['up', '--dump', `${httpUrl}/pagila.dump`]);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(await rowsOf(second.stdout)).toBe('250');
    expect(served('/pagila.dump')).toBe(1);
    // A hit marks use in the access time only: the modification time is the dump's version to pools and snapshots.
    expect(fs.statSync(path.join(cacheDir(), `${dumpSha}.dump`)).mtimeMs).toBe(version);
  });

  it('a #sha256= fragment: a cached match needs no request at all; a redirect is followed', async () => {
    const before = served('/pagila.dump');
    const pinned = await home.run(['up', '--dump', `${httpUrl}/nowhere.dump#sha256=${dumpSha}`]);
    expect(pinned.exitCode, pinned.stderr).toBe(0);
    expect(served('/pagila.dump')).toBe(before);
    const moved = await home.run(['up', '--dump', `${httpUrl}/moved`]);
    expect(moved.exitCode, moved.stderr).toBe(0);
    expect(cached()).toEqual([`${dumpSha}.dump`]);
  });

  it('https:// with a self-signed certificate: refused until trusted by dump.ca_file or NODE_EXTRA_CA_CERTS', async () => {
    const url = `${httpsUrl}/pagila.dump`;
    fs.rmSync(cacheDir(), { recursive: true, force: true });
    expectOneLineError(await home.run(['up', '--dump', url]), 69, /cannot fetch dump https:\/\/127\.0\.0\.1:\d+\/pagila\.dump: .*certificate.*; .*dump\.ca_file or NODE_EXTRA_CA_CERTS/);
    const viaEnv = await home.run(['up', '--dump', url], { env: { NODE_EXTRA_CA_CERTS: caFile } });
    expect(viaEnv.exitCode, viaEnv.stderr).toBe(0);
    fs.rmSync(cacheDir(), { recursive: true, force: true });
    home.writeConfig({ ...base, dump: { ...(base.dump as object), ca_file: caFile } });
    const viaConfig = await home.run(['up', '--dump', url]);
    home.writeConfig(base);
    expect(viaConfig.exitCode, viaConfig.stderr).toBe(0);
    expect(await rowsOf(viaConfig.stdout)).toBe('250');
  });

  it('s3:// on an S3-compatible server: downloaded once (ETag checked as MD5), then a HEAD is enough', async () => {
    const uri = 's3://dumps/nightly/pagila.dump';
    const first = await home.run(['up', '--dump', uri], { env: { AWS_EC2_METADATA_DISABLED: 'true' } });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(await rowsOf(first.stdout)).toBe('250');
    const second = await home.run(['up', '--dump', uri], { env: { AWS_EC2_METADATA_DISABLED: 'true' } });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(served('s3:/dumps/nightly/pagila.dump')).toBe(1);
    expect(cached()).toEqual([`${dumpSha}.dump`]);
  });

  describe('a bad URI is one clear line, and leaves nothing in the cache', () => {
    let before: string[];

    beforeAll(() => {
      before = cached();
    });

    function expectCacheUnchanged(): void {
      expect(cached()).toEqual(before);
    }

    it.each([
      ['an unknown scheme', 'ftp://127.0.0.1/pagila.dump', 2, /unsupported dump URI scheme 'ftp:\/\/'/],
      ['a bad fragment', 'http://127.0.0.1:1/x.dump#md5=abc', 2, /bad fragment '#md5=abc'/],
      ['a missing local file', '/nonexistent/pagila.dump', 65, /does not exist/],
      ['a closed port', 'http://127.0.0.1:1/pagila.dump', 69, /cannot fetch dump http:\/\/127\.0\.0\.1:1\/pagila\.dump: connection refused/],
    ])('%s', async (_what, uri, code, pattern) => {
      expectOneLineError(await home.run(['up', '--dump', uri]), code, pattern);
      expectCacheUnchanged();
    });

    it('HTTP 404, and a missing S3 key or bucket', async () => {
      expectOneLineError(await home.run(['up', '--dump', `${httpUrl}/missing.dump`]), 4, /dump http:\/\/127\.0\.0\.1:\d+\/missing\.dump answered HTTP 404/);
      expectOneLineError(await home.run(['up', '--dump', 's3://dumps/nope.dump']), 4, /dump s3:\/\/dumps\/nope\.dump does not exist/);
      expectOneLineError(await home.run(['up', '--dump', 's3://no-bucket/x.dump']), 4, /does not exist/);
      expectCacheUnchanged();
    });

    it('an S3 endpoint nobody listens on', async () => {
      home.writeConfig({ ...base, dump: { s3: { endpoint: 'http://127.0.0.1:1', ...S3_KEYS } } });
      expectOneLineError(await home.run(['up', '--dump', 's3://dumps/nightly/pagila.dump']), 69, /cannot fetch dump s3:\/\/dumps\/nightly\/pagila\.dump: /);
      home.writeConfig(base);
      expectCacheUnchanged();
    });

    it('over dump.max_download_bytes: announced (refused before the body) or streamed without a size', async () => {
      expectOneLineError(await home.run(['up', '--dump', `${httpUrl}/huge.dump`]), 65, /huge\.dump is 50 GiB, over the limit, dump\.max_download_bytes \(20 GiB\); raise dump\.max_download_bytes/);
      home.writeConfig({ ...base, dump: { ...(base.dump as object), max_download_bytes: '1MiB' } });
      expectOneLineError(await home.run(['up', '--dump', `${httpUrl}/endless.dump`]), 65, /endless\.dump grew past the limit, dump\.max_download_bytes \(1\.0 MiB\)/);
      home.writeConfig(base);
      expectCacheUnchanged();
    });

    it('a body cut short, content that is not a dump, and a pinned hash that does not match', async () => {
      expectOneLineError(await home.run(['up', '--dump', `${httpUrl}/short.dump`]), 69, /short\.dump (is incomplete|broke off)/);
      expectOneLineError(await home.run(['up', '--dump', `${httpUrl}/garbage.dump`]), 65, /garbage\.dump is not a dump/);
      const wrong = '0'.repeat(64);
      fs.rmSync(cacheDir(), { recursive: true, force: true });
      expectOneLineError(await home.run(['up', '--dump', `${httpUrl}/pagila.dump#sha256=${wrong}`]), 65, new RegExp(`has sha256 ${dumpSha}, not the ${wrong}`));
      expect(cached()).toEqual([]);
    });
  });
});
