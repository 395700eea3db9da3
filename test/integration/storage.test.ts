import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, expectOneLineError, TestHome, writePagilaSql } from '../helpers/ditto.js';
import { leftovers, localRootOf } from '../helpers/leaks.js';
import { isMounted, loopDevicesUnder } from '../helpers/loop-filesystems.js';
import { query } from '../helpers/pg.js';

/** `ditto storage`: an XFS image with reflink, loop-mounted at the data directory, mounted again when it is gone. */
const asRoot = process.getuid?.() === 0;

describe.runIf(asRoot)('ditto storage', () => {
  const home = new TestHome();
  // --path: the image outside the home.
  const images = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-storage-'));
  const image = path.join(images, 'data.img');
  const root = localRootOf(home);

  afterAll(async () => {
    try {
      await home.run(['storage', 'remove', '--force']);
      await home.cleanup();
    } finally {
      // Whatever a failure left: the mount, its loop device, the image.
      if (isMounted(root)) await execa('umount', ['-l', root], { reject: false });
      fs.rmSync(images, { recursive: true, force: true });
    }
    expect(await loopDevicesUnder(images)).toEqual([]);
    expect(fs.existsSync(root)).toBe(false);
  });

  it('is refused without root, in one line', async () => {
    const result = await execa('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, CLI, 'storage', 'init', '--size', '1G'], {
      env: home.env(),
      reject: false,
      cwd: '/',
    });
    expectOneLineError({ stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1 }, 77, /storage init needs root/);
  });

  it('init refuses a data directory that holds something, and a size that is none', async () => {
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(path.join(root, 'something'), '');
    expectOneLineError(await home.run(['storage', 'init', '--size', '1G', '--path', image]), 5, /is not empty \(something\)/);
    fs.rmSync(root, { recursive: true });
    expectOneLineError(await home.run(['storage', 'init', '--size', 'lots', '--path', image]), 2, /--size: expected a size/);
    expect(fs.existsSync(image)).toBe(false);
  });

  it('init mounts an XFS image at the data directory; copies there clone by reflink; status says so', async () => {
    const init = await home.run(['storage', 'init', '--size', '2G', '--path', image]);
    expect(init.exitCode, init.stderr).toBe(0);
    expect(init.stderr).toContain(`mounted it at ${root}`);
    expect(isMounted(root)).toBe(true);
    const status = await home.run(['storage', 'status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ image, mountPoint: root, mounted: true, size: expect.any(Number), clones: `reflink: ${root} is on xfs and clones blocks` });
    expect((await home.run(['status'])).stdout).toContain(`copies cloned by reflink: ${root} is on xfs and clones blocks`);

    home.writeConfig({ dump: { path: writePagilaSql(path.join(home.dir, 'pagila.sql')) } });
    const copy = await home.upJson();
    expect(await query(copy.connection_string!, 'SELECT count(*)::int AS n FROM rental')).toEqual([{ n: 16044 }]);
    expectOneLineError(await home.run(['storage', 'remove']), 5, /holds 1 copy and 1 golden snapshot/);
    expect((await home.run(['down', '--all'])).exitCode).toBe(0);
    expect(await leftovers(home, [copy.port!])).toEqual([]);
  });

  it('the next command mounts it again when the mount is gone (a reboot)', async () => {
    await execa('umount', [root]);
    expect(isMounted(root)).toBe(false);
    const ls = await home.run(['ls']);
    expect(ls.exitCode, ls.stderr).toBe(0);
    expect(isMounted(root)).toBe(true);
    // The golden snapshot made before is there again: the next copy clones it.
    expect(fs.readdirSync(path.join(root, 'golden'))).toHaveLength(1);
  });

  it('remove --force removes the copies and snapshots in it, unmounts it and deletes the image', async () => {
    const copy = await home.upJson();
    const removed = await home.run(['storage', 'remove', '--force']);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(isMounted(root)).toBe(false);
    expect(fs.existsSync(image)).toBe(false);
    expect(fs.existsSync(root)).toBe(false);
    expect(await loopDevicesUnder(images)).toEqual([]);
    await expect(query(copy.connection_string!, 'SELECT 1')).rejects.toThrow();
    // The home goes on without it: the next copy is on the ordinary disk.
    expect((await home.run(['storage', 'status'])).stdout).toMatch(/^no storage image/);
    expect((await home.run(['down', '--all'])).exitCode).toBe(0);
  });
});
