import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerName } from '../../src/runtimes/docker/docker-runtime.js';
import { mountsUnder } from '../../src/runtimes/local/clone.js';
import { eventually, killMaintainers, killServer, loseLocalData, rebootLocal } from '../helpers/crash.js';
import { TestHome, type CopyJson } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { ENGINE_RUNTIME_CASES, countRows, query } from '../helpers/engines.js';
import { dataRootOf, leftovers, localRootOf } from '../helpers/leaks.js';
import { maintainerPids } from '../helpers/processes.js';
import { readCopies, waitFor, writeState } from '../helpers/state.js';

/**
 * A copy is its data, not its process: a server killed behind ditto's back (kill -9, the OOM
 * killer, a reboot) is started again from its data, on its port, with its password, by the next
 * command or the maintainer; a copy whose data is gone fails with the reason.
 */

interface Event {
  action: string;
  actor: string;
  metadata: Record<string, unknown>;
}

async function eventsOf(home: TestHome, id: string): Promise<Event[]> {
  const result = await home.run(['logs', id, '--json']);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Event[];
}

async function answers(dsn: string): Promise<boolean> {
  return query(dsn, 'SELECT 1 AS ok').then(
    () => true,
    () => false,
  );
}

async function listed(home: TestHome, id: string): Promise<CopyJson | undefined> {
  return (await home.ls(true)).find((c) => c.id === id);
}

describe.each(ENGINE_RUNTIME_CASES)('a killed server of $name comes back', ({ runtime, config }) => {
  let home: TestHome;
  let copy: CopyJson;
  let dsn: string;

  /** Kills the copy's server with no maintainer left to notice: only the command the test runs next heals. */
  async function killBehindDitto(id = copy.id): Promise<void> {
    await killMaintainers(home);
    await killServer(home, runtime, id);
  }

  beforeAll(async () => {
    home = new TestHome(config);
    copy = await home.upJson(['--ttl', '30m']);
    dsn = copy.connection_string!;
    // Written with the engine's default settings, then killed at once: commits survive a killed server.
    await query(dsn, 'CREATE TABLE kept (n int)');
    await query(dsn, 'INSERT INTO kept VALUES (1), (2), (3)');
  });

  afterAll(async () => {
    await home.cleanup();
    await waitFor(() => maintainerPids(home.dir).length === 0 || undefined, 'the maintainer to leave', 15_000);
  });

  it('the next ls starts it again: the same connection string answers, with the rows written before the kill', async () => {
    await killBehindDitto();
    expect(await answers(dsn)).toBe(false);
    expect(await listed(home, copy.id)).toMatchObject({ status: 'ready', port: copy.port });
    expect(await countRows(dsn, 'kept')).toBe(3);
    const events = await eventsOf(home, copy.id);
    expect(events.slice(-2)).toMatchObject([
      { action: 'restarting', actor: 'cli', metadata: { why: 'its server had stopped' } },
      { action: 'restarted', actor: 'cli', metadata: { why: 'its server had stopped', port: copy.port } },
    ]);
  });

  it('so does the next up, which makes its own copy besides', async () => {
    await killBehindDitto();
    const other = await home.upJson(['--ttl', '5m']);
    expect(other.id).not.toBe(copy.id);
    expect(await countRows(dsn, 'kept')).toBe(3);
    expect((await eventsOf(home, copy.id)).at(-1)).toMatchObject({ action: 'restarted', actor: 'cli' });
    expect((await home.run(['down', other.id])).exitCode).toBe(0);
  });

  it('and the maintainer, within seconds, with no command run', async () => {
    // The up before left a maintainer running; it looks at the servers between its passes.
    await waitFor(() => maintainerPids(home.dir).length === 1 || undefined, 'a maintainer', 15_000);
    await killServer(home, runtime, copy.id);
    await eventually(() => answers(dsn), 'the maintainer to restart the server', 30_000);
    expect(await countRows(dsn, 'kept')).toBe(3);
    // The copy is back in its record a moment after its server answers.
    await eventually(async () => (await eventsOf(home, copy.id)).at(-1)!.action === 'restarted', 'the restart to be recorded');
    expect((await eventsOf(home, copy.id)).at(-1)).toMatchObject({ action: 'restarted', actor: 'maintainer' });
  });

  it('two commands healing at once restart it once', async () => {
    await killBehindDitto();
    const before = (await eventsOf(home, copy.id)).filter((e) => e.action === 'restarted').length;
    const both = await Promise.all([home.run(['ls', '--json']), home.run(['ls', '--json'])]);
    for (const result of both) {
      expect(result.exitCode, result.stderr).toBe(0);
      // The one that lost the race sees the copy as ready too: it is, while the other restarts it.
      expect((JSON.parse(result.stdout) as CopyJson[]).find((c) => c.id === copy.id)!.status).toBe('ready');
    }
    await eventually(() => answers(dsn), 'the server to answer');
    const events = await eventsOf(home, copy.id);
    expect(events.filter((e) => e.action === 'restarted')).toHaveLength(before + 1);
    expect(events.filter((e) => e.action === 'restarting')).toHaveLength(before + 1);
  });

  it('a copy whose port another program took meanwhile fails, saying so, rather than change its connection string', async () => {
    const victim = await home.upJson(['--ttl', '5m']);
    await killBehindDitto(victim.id);
    const squatter = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(victim.port!, '127.0.0.1', resolve));
    try {
      const failed = await listed(home, victim.id);
      expect(failed!.status).toBe('failed');
      expect(failed!.error_message).toBe(
        `its server had stopped and port ${victim.port} is now held by another program; a copy keeps its port, so it was not restarted (ditto up makes a new one)`,
      );
      expect(await leftovers(home, [], [victim.id])).toEqual([]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('a copy whose data is gone fails with the reason, and leaves nothing', async () => {
    const victim = await home.upJson(['--ttl', '5m']);
    await killBehindDitto(victim.id);
    if (runtime === 'local') {
      // As after a reboot, when the directory of an overlay clone can be removed.
      await loseLocalData(home, victim.id);
    } else {
      await execa('docker', ['rm', '-f', containerName(victim.id)]);
    }
    const failed = await listed(home, victim.id);
    expect(failed!.status).toBe('failed');
    expect(failed!.error_message).toBe(`its server had stopped and ${runtime === 'local' ? 'its data directory is gone' : 'its container is gone'}`);
    expect(await leftovers(home, [victim.port!], [victim.id])).toEqual([]);
    // The first copy is untouched by it.
    expect(await countRows(dsn, 'kept')).toBe(3);
  });
});

const asRoot = process.getuid?.() === 0;

describe.runIf(asRoot).each(ENGINE_RUNTIME_CASES.filter((c) => c.runtime === 'local'))('a reboot of a machine with $name copies on overlay clones', ({ config }) => {
  let home: TestHome;
  const copies: Record<'a' | 'b' | 'expired', CopyJson> = {} as never;

  beforeAll(async () => {
    home = new TestHome({}, { portCount: 10 });
    const dump = path.join(home.dir, 'seed.sql');
    fs.writeFileSync(dump, 'CREATE TABLE seed (n int);\nINSERT INTO seed VALUES (1), (2);\n');
    home.writeConfig({ ...config, dump: { path: dump }, local: { clone: 'overlay' }, pool: { size: 1 } });
    for (const name of ['a', 'b', 'expired'] as const) copies[name] = await home.upJson(['--ttl', '1h', '--label', name]);
    await query(copies.a.connection_string!, 'INSERT INTO seed VALUES (10)');
    await query(copies.b.connection_string!, 'INSERT INTO seed VALUES (20), (21)');
    await waitFor(() => readCopies(home).some((c) => c.warm === 1 && c.status === 'ready') || undefined, 'the pool to fill');
  });

  afterAll(async () => {
    await home.cleanup();
    await waitFor(() => maintainerPids(home.dir).length === 0 || undefined, 'the maintainer to leave', 15_000);
  });

  it('any command brings back every copy whose TTL is left, on its port with its data; one whose TTL ran out meanwhile is destroyed', async () => {
    const root = dataRootOf(home);
    expect(mountsUnder(root).length).toBe(4);
    await rebootLocal(home);
    expect(mountsUnder(root)).toEqual([]);
    // Its TTL ran out while the machine was down.
    writeState(home, 'UPDATE copies SET expires_at = ? WHERE id = ?', Date.now() - 1000, copies.expired.id);

    const after = await home.ls(true);
    const byId = (id: string) => after.find((c) => c.id === id)!;
    expect(byId(copies.a.id)).toMatchObject({ status: 'ready', port: copies.a.port });
    expect(byId(copies.b.id)).toMatchObject({ status: 'ready', port: copies.b.port });
    expect(byId(copies.expired.id).status).toBe('destroyed');
    expect(await countRows(copies.a.connection_string!, 'seed')).toBe(3);
    expect(await countRows(copies.b.connection_string!, 'seed')).toBe(4);
    expect((await eventsOf(home, copies.a.id)).at(-1)).toMatchObject({ action: 'restarted', metadata: { remounted: 'its overlay clone was mounted again' } });
    expect(await leftovers(home, [copies.expired.port!], [copies.expired.id])).toEqual([]);
    // The warm copy is back too, and up hands it out with the snapshot's rows.
    const warm = after.find((c) => c.warm)!;
    expect(warm.status).toBe('ready');
    const claimed = await home.upJson(['--ttl', '5m']);
    expect(claimed.id).toBe(warm.id);
    expect(await countRows(claimed.connection_string!, 'seed')).toBe(2);
    // A maintainer watches them again.
    await waitFor(() => maintainerPids(home.dir).length === 1 || undefined, 'a maintainer to start', 15_000);
  });

  it('a clone whose golden snapshot is gone fails with the reason, and leaves nothing', async () => {
    await killMaintainers(home);
    await killServer(home, 'local', copies.a.id);
    await execa('umount', [path.join(dataRootOf(home), copies.a.id, 'data')]);
    const golden = path.join(localRootOf(home), 'golden');
    const aside = `${golden}.aside`;
    fs.renameSync(golden, aside);
    try {
      const failed = await listed(home, copies.a.id);
      expect(failed!.status).toBe('failed');
      expect(failed!.error_message).toBe('its server had stopped and the golden snapshot under its overlay clone is gone');
      expect(await leftovers(home, [copies.a.port!], [copies.a.id])).toEqual([]);
      // The other copies' mounts keep their snapshot open: they still answer.
      expect(await countRows(copies.b.connection_string!, 'seed')).toBe(4);
    } finally {
      fs.renameSync(aside, golden);
    }
  });
});

describe('a killed server of a host’s copy', () => {
  const TOKEN = 'alice-revive-token-0123';
  let home: TestHome;

  beforeAll(() => {
    home = new TestHome({ host: { tokens: [{ name: 'alice', token: TOKEN }] } });
  });

  afterAll(async () => home.cleanup());

  it('is restarted by the host’s own maintenance pass, with no request', async () => {
    const host = await HostProcess.start(home);
    try {
      const made = await host.api('POST', '/v2/copies', { token: TOKEN, body: { ttl_seconds: 600 } });
      expect(made.status, made.text).toBe(201);
      const dsn = made.json.connection_string as string;
      await query(dsn, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)');
      await killServer(home, 'local', made.json.id as string);
      await eventually(() => answers(dsn), 'the host to restart the server', 30_000);
      expect(await countRows(dsn, 'kept')).toBe(1);
      const last = async () => ((await host.api('GET', `/v2/copies/${made.json.id as string}/events`, { token: TOKEN })).json as Event[]).at(-1)!;
      await eventually(async () => (await last()).action === 'restarted', 'the restart to be recorded');
      expect(await last()).toMatchObject({ action: 'restarted', actor: 'maintainer' });
      expect((await host.api('DELETE', `/v2/copies/${made.json.id as string}`, { token: TOKEN })).status).toBe(204);
    } finally {
      await host.stop();
    }
  });
});
