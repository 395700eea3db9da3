import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { isSubvolume } from '../../src/runtimes/local/filesystems.js';
import { BIG_TABLE_ENGINES } from '../helpers/big-table.js';
import { TestHome } from '../helpers/ditto.js';
import { leftovers, localRootOf } from '../helpers/leaks.js';
import { disposeHomesAndFilesystems, LoopFilesystem } from '../helpers/loop-filesystems.js';
import { readCopies, waitFor } from '../helpers/state.js';

/**
 * The kill -9 campaign on block-level clones (XFS reflink, btrfs snapshots; root only): a
 * process killed at each failpoint leaves a record the next command fails, and nothing else: no
 * clone, subvolume, mount, server, container or port. Local and Docker copies (each Docker copy's
 * clone bind-mounted into its container), both engines, at every failpoint; one home per case,
 * its failpoints in turn.
 */
const asRoot = process.getuid?.() === 0;

describe.runIf(asRoot)('crash recovery on block-level clones', () => {
  const filesystems: LoopFilesystem[] = [];
  const homes: TestHome[] = [];

  afterAll(async () => {
    expect(await disposeHomesAndFilesystems(homes, filesystems)).toEqual([]);
  });

  // Docker's clones on btrfs are the same snapshots whichever engine runs on them: PostgreSQL's
  // case covers them; MariaDB's would add half a minute and no path.
  const CASES = (['local', 'docker'] as const)
    .flatMap((runtime) => ['xfs', 'btrfs'].flatMap((kind) => BIG_TABLE_ENGINES.map((engine) => ({ kind, engine, runtime }))))
    .filter(({ kind, engine, runtime }) => !(runtime === 'docker' && kind === 'btrfs' && engine.name === 'MariaDB'));

  it.each(CASES)('$engine.name ($runtime) on $kind: what a process killed at each failpoint leaves is removed by the next command', async ({ kind, engine, runtime }) => {
    const fsys = await LoopFilesystem.make(kind as 'xfs' | 'btrfs');
    filesystems.push(fsys);
    const home = new TestHome();
    homes.push(home);
    const root = path.join(fsys.point, 'data');
    home.writeConfig({ ...engine.config, ...(runtime === 'docker' ? engine.docker : {}), local: { data_dir: root }, dump: { path: engine.writeDump(path.join(home.dir, 'small.sql'), 1000) } });
    const clonesDir = path.join(root, runtime === 'docker' ? 'docker-copies' : 'copies');

    /** Runs `args` stopped at `failpoint`, checks what it made there, kills it, and checks the next command removes it. */
    async function killedAt(failpoint: string, args: string[], made: 'clone' | 'nothing', id?: string): Promise<void> {
      const marker = path.join(home.dir, `at-${failpoint}`);
      const child = home.spawn(args, { DITTO_FAILPOINT: failpoint, DITTO_FAILPOINT_FILE: marker });
      await waitFor(() => fs.existsSync(marker) || undefined, failpoint);
      const crashed = id ? readCopies(home).find((c) => c.id === id)! : readCopies(home, { builders: true }).at(-1)!;
      expect(crashed.status).toBe(failpoint === 'after-record' ? 'pending' : 'creating');
      // Its data directory is the clone method's: a subvolume on btrfs (bind-mounted into its container on Docker); none yet after the record.
      const data = path.join(clonesDir, crashed.id, 'data');
      if (made === 'clone') expect(fs.existsSync(data) && isSubvolume(data) === (kind === 'btrfs'), `${data} as the clone method makes it`).toBe(true);
      else expect(fs.existsSync(data)).toBe(false);
      process.kill(child.pid!, 'SIGKILL');
      await child;
      expect((await home.run(['ls'])).exitCode).toBe(0);
      const record = readCopies(home, { builders: true }).find((c) => c.id === crashed.id)!;
      expect(record.status).toBe('failed');
      expect(record.error_message).toMatch(new RegExp(`the process driving it \\(pid ${child.pid}\\) died while it was (pending|creating)`));
      expect(await leftovers(home, crashed.port ? [crashed.port] : [], [crashed.id])).toEqual([]);
    }

    // A golden snapshot's builder, restored and stopped, before its promotion (a subvolume on btrfs).
    await killedAt('before-promote', ['up'], 'clone');
    // A clone of the snapshot made by the next up.
    const kept = await home.upJson();
    await killedAt('after-record', ['up'], 'nothing');
    await killedAt('after-server-start', ['up'], 'clone');
    // A reset killed with the new clone's server started, the old clone moved aside or removed.
    await killedAt('reset-after-server-start', ['reset', kept.id], 'clone', kept.id);

    expect((await home.run(['down', '--all'])).exitCode).toBe(0);
    expect((await home.run(['prune'])).exitCode).toBe(0);
    expect(await leftovers(home, [kept.port!])).toEqual([]);
    if (kind === 'btrfs') expect((await execa('btrfs', ['subvolume', 'list', fsys.point])).stdout).toBe('');
    expect(fs.existsSync(root), `${root} is left`).toBe(false);
  });
});
