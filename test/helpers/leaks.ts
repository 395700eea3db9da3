import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import Docker from 'dockerode';
import YAML from 'yaml';
import { isPortHeld } from '../../src/copies/port-pool.js';
import { engineAddress, probeEngine } from '../../src/runtimes/docker/docker-endpoint.js';
import { LABEL_COPY_ID, LABEL_GOLDEN, LABEL_HOME, LABEL_MANAGED } from '../../src/runtimes/docker/labels.js';
import { mountsUnder } from '../../src/runtimes/local/clone.js';
import { scanServers } from '../../src/runtimes/local/processes.js';
import { defaultLocalRoot, homeKey } from '../../src/runtimes/registry.js';
import { expect } from 'vitest';
import type { TestHome } from './ditto.js';

/** Where the local runtime keeps this home's copies. */
export function dataRootOf(home: TestHome): string {
  return path.join(localRootOf(home), 'copies');
}

/** The local runtime's root for this home: copies and golden snapshots (local.data_dir when its ditto.yaml sets one). */
export function localRootOf(home: TestHome): string {
  // After cleanup the home (and its ditto.yaml) is gone: the default root is what is left to check.
  const text = fs.existsSync(home.configFile) ? fs.readFileSync(home.configFile, 'utf8') : '';
  const config = YAML.parse(text) as { local?: { data_dir?: string } } | null;
  return config?.local?.data_dir ?? defaultLocalRoot(home.dir, process.getuid?.() === 0);
}

/** Processes working under `root` (a server runs in its copy's directory), with the copy id their directory names. */
export function serverProcessesUnder(root: string): { pid: number; copyId: string }[] {
  return scanServers(root).map(({ pid, name }) => ({ pid, copyId: name }));
}

/** The ditto containers of a home still on the Docker engine, by copy id (none when there is no engine). */
export async function containersOf(home: TestHome): Promise<{ name: string; copyId: string }[]> {
  if (!(await probeEngine(engineAddress(), 1000)).ok) return [];
  const containers = await new Docker().listContainers({
    all: true,
    filters: { label: [`${LABEL_MANAGED}=true`, `${LABEL_HOME}=${homeKey(home.dir)}`] },
  });
  return containers.map((c) => ({ name: c.Names[0]?.replace(/^\//, '') ?? c.Id, copyId: c.Labels[LABEL_COPY_ID] ?? '' }));
}

/** The golden snapshots a home holds in a runtime: directories (local; Docker on block-level clones) or images (Docker), by key. */
export async function snapshotsOf(home: TestHome, runtime: 'local' | 'docker'): Promise<string[]> {
  const dir = path.join(localRootOf(home), runtime === 'local' ? 'golden' : 'docker-golden');
  const dirs = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  if (runtime === 'local') return dirs.sort();
  const images = await new Docker().listImages({ filters: { label: [LABEL_GOLDEN, `${LABEL_HOME}=${homeKey(home.dir)}`] } });
  return [...dirs, ...images.map((i) => i.Labels?.[LABEL_GOLDEN] ?? '')].sort();
}

/**
 * Everything a home's copies could leave behind: processes, directories, containers, listening
 * ports, leases. With `copyIds`, only what belongs to those copies counts.
 */
export async function leftovers(home: TestHome, ports: number[] = [], copyIds?: string[]): Promise<string[]> {
  // A reset moves the replaced files to `<id>.retired-...` until they are removed.
  const mine = (id: string) => copyIds === undefined || copyIds.includes(id.replace(/\.retired-.*$/, ''));
  const found: string[] = [];
  const containers = (await containersOf(home)).filter((c) => mine(c.copyId));
  if (containers.length) found.push(`containers ${containers.map((c) => c.name).join(', ')}`);
  const root = dataRootOf(home);
  const servers = serverProcessesUnder(root).filter((s) => mine(s.copyId));
  if (servers.length) found.push(`server processes ${servers.map((s) => `${s.pid}:${s.copyId}`).join(', ')}`);
  const mounts = mountsUnder(root).filter((point) => mine(path.relative(root, point).split(path.sep)[0]!));
  if (mounts.length) found.push(`mounts ${mounts.join(', ')}`);
  const dirs = fs.existsSync(root) ? fs.readdirSync(root).filter(mine) : [];
  if (dirs.length) found.push(`copy directories ${dirs.join(', ')}`);
  // The Docker runtime's block-level clones, where the data directory has them.
  const clonesRoot = path.join(localRootOf(home), 'docker-copies');
  const clones = fs.existsSync(clonesRoot) ? fs.readdirSync(clonesRoot).filter(mine) : [];
  if (clones.length) found.push(`Docker clone directories ${clones.join(', ')}`);
  for (const port of ports) if (await isPortHeld(port)) found.push(`port ${port} still listening`);
  const stateFile = path.join(home.dir, 'state.db');
  if (fs.existsSync(stateFile)) {
    const db = new Database(stateFile, { readonly: true });
    const leases = (db.prepare('SELECT port, copy_id FROM port_leases').all() as { port: number; copy_id: string }[]).filter((l) => mine(l.copy_id));
    db.close();
    if (leases.length) found.push(`port leases ${leases.map((l) => `${l.port}:${l.copy_id}`).join(', ')}`);
  }
  return found;
}

/**
 * The end of a suite that used a home beside servers of its own (a source, a target): every copy
 * destroyed, the servers stopped, nothing of the home's left, the home removed.
 */
export async function closeHome(home: TestHome, ...servers: { stop(): Promise<void> }[]): Promise<void> {
  await home.run(['down', '--all']);
  for (const server of servers) await server.stop();
  expect(await leftovers(home)).toEqual([]);
  await home.cleanup();
}
