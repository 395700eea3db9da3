import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome } from '../helpers/ditto.js';

/** dump.on_failure: a failed reseed posts to the webhook and runs the command, with the error and no secret. */
const PASSWORD = 'hook-s3cret-pw-91f2';
let home: TestHome;
let server: http.Server;
let posts: { headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      posts.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  home = new TestHome({}, { portCount: 4 });
  home.writeConfig({
    dump: {
      on_failure: {
        webhook_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/reseed`,
        exec: 'printf "%s\\n%s\\n%s\\n" "$DITTO_RESEED_CODE" "$DITTO_RESEED_SOURCE" "$DITTO_RESEED_ERROR" > hook.out',
      },
    },
  });
});

afterAll(async () => {
  await home.cleanup();
  await new Promise((resolve) => server.close(resolve));
});

describe('dump.on_failure', () => {
  it('a failed reseed by hand fires both hooks with the error; no secret reaches them', async () => {
    // Nothing listens on port 1: the source cannot be reached.
    const result = await home.run(['reseed', '--source', `postgresql://app:${PASSWORD}@127.0.0.1:1/prod`]);
    expect(result.exitCode).not.toBe(0);
    expect(posts).toHaveLength(1);
    const payload = JSON.parse(posts[0]!.body) as Record<string, unknown>;
    expect(posts[0]!.headers['content-type']).toBe('application/json');
    expect(payload).toMatchObject({ event: 'reseed_failed', code: expect.any(String), error: expect.any(String), source: 'postgresql://app:***@127.0.0.1:1/prod', home: home.dir });
    expect(result.stderr).toContain(String(payload.error).split(';')[0]);
    const ran = fs.readFileSync(path.join(home.dir, 'hook.out'), 'utf8').split('\n');
    expect(ran.slice(0, 2)).toEqual([payload.code, 'postgresql://app:***@127.0.0.1:1/prod']);
    expect(ran[2]).toBe(payload.error);
    expect(JSON.stringify(payload) + ran.join('\n')).not.toContain(PASSWORD);
  });

  it('a reseed that succeeds fires nothing', async () => {
    posts = [];
    fs.rmSync(path.join(home.dir, 'hook.out'), { force: true });
    const dump = path.join(home.dir, 'small.sql');
    fs.writeFileSync(dump, 'CREATE TABLE t (x int);\nINSERT INTO t VALUES (1);\n');
    const result = await home.run(['reseed', '--from', dump]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(posts).toEqual([]);
    expect(fs.existsSync(path.join(home.dir, 'hook.out'))).toBe(false);
  });
});
