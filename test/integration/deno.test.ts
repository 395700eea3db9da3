import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, TestHome, expectOneLineError, type CopyJson } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { DENO, quietDeno, requireRuntime } from '../helpers/js-runtimes.js';
import { leftovers } from '../helpers/leaks.js';
import { query } from '../helpers/pg.js';
import { maintainerPids } from '../helpers/processes.js';
import { DOCKER_CONFIG } from '../helpers/runtimes.js';
import { readCopies, waitFor } from '../helpers/state.js';

/**
 * ditto started under Deno (`deno run -A dist/ditto.cjs`, Deno from the npm package
 * @deno/linux-x64-glibc): state through node:sqlite, the maintainer re-executed under Deno, and the
 * same home shared with ditto under Node.js (better-sqlite3).
 */
const DSN = /^postgresql:\/\/postgres:[A-Za-z0-9_-]{20,}@127\.0\.0\.1:(\d+)\/postgres\?sslmode=disable$/;
const DENO_DITTO = () => [requireRuntime(DENO), 'run', '-A', CLI];
quietDeno();

function cmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

describe('ditto under Deno: the lifecycle', () => {
  let home: TestHome;

  /** `ditto args...` on the same home, under Node.js (better-sqlite3); its JSON output. */
  async function underNode(args: string[]): Promise<unknown> {
    const result = await execa(process.execPath, [CLI, ...args, '--json'], { env: home.env(), cwd: home.dir, stdin: 'ignore' });
    return JSON.parse(result.stdout);
  }

  beforeAll(() => {
    home = new TestHome({ runtime: 'local' }, { command: DENO_DITTO() });
  });

  afterAll(async () => {
    await home.cleanup();
  });

  it('up on a pipe prints the connection string alone; ditto under Node.js sees the copy in the same state file', async () => {
    const up = await home.run(['up', '--ttl', '5m', '--label', 'deno-up']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toMatch(DSN);
    await expect(query(up.stdout, 'SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
    // Processes on both backends share one state file.
    const byNode = (await underNode(['ls'])) as CopyJson[];
    expect(byNode.map((c) => [c.label, c.status])).toEqual([['deno-up', 'ready']]);
    const nodeUp = (await underNode(['up', '--label', 'node-up', '--ttl', '5m'])) as CopyJson;
    expect((await home.ls()).map((c) => c.id)).toContain(nodeUp.id);
  });

  it('up on a terminal shows listr2 progress', async () => {
    const tty = await home.runTty(['up', '--ttl', '5m', '--label', 'deno-tty']);
    expect(tty.exitCode, tty.stdout).toBe(0);
    expect(tty.stdout).toMatch(/Copy \w+ ready on port \d+ in [\d.]+s, expires in 5m/);
  });

  it('env prints exports a shell can eval', async () => {
    const [file, ...prefix] = home.command;
    const command = [file!, ...prefix].map((a) => `'${a}'`).join(' ');
    const shell = await execa('sh', ['-c', `eval "$(${command} env --ttl 5m --label deno-env)" && printf '%s\\n%s\\n' "$DATABASE_URL" "$DITTO_COPY_ID"`], {
      env: home.env(),
      cwd: home.dir,
    });
    const [url, id] = shell.stdout.split('\n');
    expect(url).toMatch(DSN);
    expect((await home.ls()).find((c) => c.id === id)?.label).toBe('deno-env');
  });

  it('run passes DATABASE_URL, returns the command’s exit code, and destroys the copy', async () => {
    const run = await home.run(['run', '--ttl', '5m', '--', 'sh', '-c', 'psql "$DATABASE_URL" -Atc "SELECT 40 + 2" && echo "$DITTO_COPY_ID" && exit 7']);
    expect(run.exitCode, run.stderr).toBe(7);
    const [answer, id] = run.stdout.split('\n');
    expect(answer).toBe('42');
    expect((await home.ls(true)).find((c) => c.id === id)?.status).toBe('destroyed');
  });

  it('ls, logs and status, as text and JSON', async () => {
    const table = await home.run(['ls']);
    expect(table.exitCode, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID +STATUS +AGE +TTL LEFT +PORT/);
    const copy = (await home.ls()).find((c) => c.label === 'deno-up')!;
    const logs = JSON.parse((await home.run(['logs', copy.id, '--json'])).stdout) as { action: string }[];
    expect(logs.map((e) => e.action)).toEqual(['created', 'creating', 'ready']);
    expect((await home.run(['logs', copy.id])).stdout).toMatch(/ready +cli/);
    const status = JSON.parse((await home.run(['status', '--json'])).stdout) as { runtime: { name: string }; copies: { active: number } };
    expect(status).toMatchObject({ runtime: { name: 'local' }, copies: { active: 4 } });
  });

  it('down by id and down --all leave nothing running', async () => {
    const copies = await home.ls();
    const first = await home.run(['down', copies[0]!.id]);
    expect(first).toMatchObject({ exitCode: 0, stdout: `destroyed ${copies[0]!.id}` });
    const all = await home.run(['down', '--all']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(await home.ls()).toEqual([]);
    expect(await leftovers(home, copies.map((c) => c.port!))).toEqual([]);
  });

  it('a failure is one line, not a crash: a dump from an S3 endpoint nobody listens on', async () => {
    home.writeConfig({ dump: { s3: { endpoint: 'http://127.0.0.1:1', access_key_id: 'k', secret_access_key: 's' } } });
    expectOneLineError(await home.run(['up', '--dump', 's3://dumps/x.dump'], { env: { AWS_EC2_METADATA_DISABLED: 'true' } }), 69, /cannot fetch dump s3:\/\/dumps\/x\.dump: connection refused/);
    home.writeConfig({});
  });
});

describe('ditto under Deno: the warm pool and its maintainer', () => {
  let home: TestHome;

  beforeAll(() => {
    home = new TestHome({ runtime: 'local', pool: { size: 1 } }, { command: DENO_DITTO() });
  });

  afterAll(async () => {
    await home.cleanup();
    await waitFor(() => maintainerPids(home.dir).length === 0, 'the maintainer to leave', 15_000);
  });

  it('a warm up claims the pooled copy; the maintainer, Deno again, refills the pool and leaves when no copy is left', async () => {
    const fill = await home.run(['pool', 'fill']);
    expect(fill.exitCode, fill.stderr).toBe(0);
    const warm = (await home.ls()).filter((c) => c.warm).map((c) => c.id);
    expect(warm).toHaveLength(1);

    const started = Date.now();
    const claimed = JSON.parse((await home.run(['up', '--json', '--ttl', '10m', '--label', 'claimed'])).stdout) as CopyJson & { ready_at: string };
    expect(claimed.id).toBe(warm[0]);
    expect(Date.parse(claimed.ready_at)).toBeLessThan(started);
    const events = JSON.parse((await home.run(['logs', claimed.id, '--json'])).stdout) as { action: string }[];
    expect(events.map((e) => e.action)).toEqual(['created', 'creating', 'ready', 'claimed']);
    await expect(query(claimed.connection_string!, 'SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);

    // The maintainer that up started is ditto re-executed the way it was started: deno run -A.
    const [pid] = await waitFor(() => (maintainerPids(home.dir).length ? maintainerPids(home.dir) : undefined), 'the maintainer to start', 15_000);
    expect(cmdline(pid!).slice(0, 4)).toEqual(DENO_DITTO());
    await waitFor(() => readCopies(home).some((c) => c.warm === 1 && c.status === 'ready') || undefined, 'the pool to refill', 60_000);

    const down = await home.run(['down', '--all']);
    expect(down.exitCode, down.stderr).toBe(0);
    await waitFor(() => maintainerPids(home.dir).length === 0 || undefined, 'the maintainer to leave', 15_000);
  });
});

describe('ditto under Deno: the Docker runtime and the host', () => {
  let home: TestHome;

  beforeAll(() => {
    home = new TestHome({ ...DOCKER_CONFIG }, { command: DENO_DITTO() });
  });

  afterAll(async () => {
    await home.cleanup();
  });

  it('makes and destroys a copy in a container', async () => {
    const copy = await home.upJson(['--ttl', '5m']);
    expect(copy.runtime).toBe('docker');
    await expect(query(copy.connection_string!, 'SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
    const down = await home.run(['down', copy.id]);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await leftovers(home, [copy.port!])).toEqual([]);
  });

  it('serves the /v2 API: a caller makes, lists and deletes a copy', async () => {
    home.writeConfig({ runtime: 'local', host: { tokens: [{ name: 'ci', token: 'env:DITTO_TEST_TOKEN' }] } });
    const host = await HostProcess.start(home, { DITTO_TEST_TOKEN: 'deno-token' });
    try {
      const made = await host.api('POST', '/v2/copies', { token: 'deno-token', body: { ttl_seconds: 300 } });
      expect(made.status, made.text).toBe(201);
      const listed = await host.api('GET', '/v2/copies', { token: 'deno-token' });
      expect((listed.json as { id: string }[]).map((c) => c.id)).toEqual([made.json.id]);
      expect((await host.api('DELETE', `/v2/copies/${made.json.id}`, { token: 'deno-token' })).status).toBe(204);
    } finally {
      expect(await host.stop()).toBe(0);
    }
    expect(path.basename(home.command[0]!)).toBe('deno');
  });
});
