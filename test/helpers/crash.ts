import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { isPidAlive } from '../../src/model/process-identity.js';
import { containerName } from '../../src/runtimes/docker/docker-runtime.js';
import { mountsUnder } from '../../src/runtimes/local/clone.js';
import type { TestHome } from './ditto.js';
import { dataRootOf, serverProcessesUnder } from './leaks.js';
import { maintainerPids } from './processes.js';

/** What happens to copies behind ditto's back: a server killed (kill -9, the OOM killer), a machine restarted. */

/** Waits until `check` holds; for checks that ask Docker or a database, which are async. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * SIGKILL to a copy's server process, as `kill -9` or the OOM killer sends it: the server the
 * local runtime recorded (PostgreSQL's postmaster; its backends are left to notice), or the main
 * process of the copy's container. Resolves once that process is gone.
 */
export async function killServer(home: TestHome, runtime: 'local' | 'docker', copyId: string): Promise<void> {
  if (runtime === 'local') {
    const { pid } = JSON.parse(fs.readFileSync(path.join(dataRootOf(home), copyId, 'server.json'), 'utf8')) as { pid: number };
    process.kill(pid, 'SIGKILL');
    await eventually(async () => !isPidAlive(pid), `copy ${copyId}'s server to die`);
    return;
  }
  const name = containerName(copyId);
  const pid = Number((await execa('docker', ['inspect', '-f', '{{.State.Pid}}', name])).stdout.trim());
  process.kill(pid, 'SIGKILL');
  // A stopped container stays until ditto removes it: its state says it stopped, or (a maintainer
  // was quicker than this look) it runs again with another process.
  await eventually(async () => {
    const [running, now] = (await execa('docker', ['inspect', '-f', '{{.State.Running}} {{.State.Pid}}', name])).stdout.trim().split(' ');
    return running === 'false' || Number(now) !== pid;
  }, `copy ${copyId}'s container to stop`);
}

/** SIGKILL to the home's detached maintainers, so only the commands a test runs heal. */
export async function killMaintainers(home: TestHome): Promise<void> {
  const pids = maintainerPids(home.dir);
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  await eventually(async () => !pids.some(isPidAlive), 'the maintainer to die');
}

/**
 * What a reboot leaves of one local copy whose directory was then removed: its server's other
 * processes (PostgreSQL's backends, still noticing their postmaster is gone) killed too, its
 * overlay unmounted, its directory deleted.
 */
export async function loseLocalData(home: TestHome, copyId: string): Promise<void> {
  const root = dataRootOf(home);
  const mine = () => serverProcessesUnder(root).filter((s) => s.copyId === copyId);
  for (const { pid } of mine()) process.kill(pid, 'SIGKILL');
  await eventually(async () => mine().length === 0, `copy ${copyId}'s processes to die`);
  const dir = path.join(root, copyId);
  for (const point of mountsUnder(dir)) await execa('umount', [point]);
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * What a reboot leaves of a home's local copies: no server process (every one killed) and no
 * overlay mount; their directories stay on disk.
 */
export async function rebootLocal(home: TestHome): Promise<void> {
  await killMaintainers(home);
  const root = dataRootOf(home);
  for (const { pid } of serverProcessesUnder(root)) process.kill(pid, 'SIGKILL');
  await eventually(async () => serverProcessesUnder(root).length === 0, 'every server to die');
  for (const point of mountsUnder(root)) await execa('umount', [point]);
}
