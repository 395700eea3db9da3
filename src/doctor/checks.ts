import fs from 'node:fs';
import path from 'node:path';
import { composeShared, type Shared } from '../compose.js';
import { formatDuration } from '../config/duration.js';
import { loadConfig, type LoadedConfig, type LoadOptions } from '../config/load.js';
import { maskUrl, resolveSecret } from '../config/secrets.js';
import { isPortHeld } from '../copies/port-pool.js';
import { currentDumpPath } from '../dump/location.js';
import { findBinDirOrNull } from '../engines/bin-dirs.js';
import type { Engine } from '../engines/engine.js';
import { asDittoError } from '../errors.js';
import { engineAddress, probeEngine, type Probe } from '../runtimes/docker/docker-endpoint.js';
import { describeSpace, storageReport } from '../runtimes/local/storage-image.js';
import { goneHomeRuntimes } from '../runtimes/home-mark.js';
import type { GoneHomeLeftover, RuntimeSnapshots } from '../runtimes/runtime.js';
import { STATE_FILE, stateProblem } from '../state/store.js';
import { formatBytes } from '../support/byte-size.js';

/**
 * `ditto doctor`: each check says ok, a warning (worth knowing, nothing is broken) or a failure
 * (something ditto needs is missing), and for failures what to do. Checks only read: the one
 * exception is opening an existing state file, which is what every command does.
 */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: Check[];
}

const DOCKER_PROBE_MS = 2000;
const PORT_PROBE_MS = 300;
const PORT_PROBE_BATCH = 32;
const SOURCE_CONNECT_MS = 5000;

export async function runChecks(opts: LoadOptions): Promise<DoctorReport> {
  const checks: Check[] = [];
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(opts);
    checks.push({ name: 'config', status: 'ok', detail: loaded.file ? `${loaded.file} is valid` : 'no ditto.yaml found; defaults and DITTO_* variables apply' });
  } catch (err) {
    const e = asDittoError(err);
    checks.push({ name: 'config', status: 'fail', detail: e.message, hint: e.hint ?? 'fix the file, or write a fresh one with `ditto init --force`' });
    return report(checks);
  }
  checks.push(checkHome(loaded.home));
  const shared = composeShared(loaded);
  let engine: Engine;
  try {
    engine = shared.engines.current(loaded.config);
  } catch (err) {
    const e = asDittoError(err);
    checks.push({ name: 'engine', status: 'fail', detail: e.message, ...(e.hint ? { hint: e.hint } : {}) });
    return report(checks);
  }
  const docker = await probeEngine(engineAddress(), DOCKER_PROBE_MS);
  checks.push(...(await checkRuntime(shared, engine, docker)));
  const storage = checkStorage(loaded.home);
  if (storage) checks.push(storage);
  checks.push(await checkGoneHomes(shared, docker));
  checks.push(await checkDump(loaded, engine));
  if (loaded.config.source.url) checks.push(await checkSource(loaded.config.source.url, engine));
  checks.push(await checkPorts(loaded));
  return report(checks);
}

function report(checks: Check[]): DoctorReport {
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}

/** The home holds passwords (in state.db): it must be ours, writable, and closed to others. */
export function checkHome(home: string): Check {
  const name = 'state';
  if (!fs.existsSync(home)) {
    const parent = nearestExisting(path.dirname(home));
    if (!isWritable(parent)) {
      return { name, status: 'fail', detail: `${home} does not exist and ${parent} is not writable`, hint: 'set DITTO_HOME or --home to a directory of yours' };
    }
    return { name, status: 'ok', detail: `${home} will be created (mode 0700) on first use` };
  }
  const stat = fs.statSync(home);
  const uid = process.getuid?.();
  if (!stat.isDirectory()) return { name, status: 'fail', detail: `${home} is not a directory`, hint: 'set DITTO_HOME or --home to a directory' };
  if (uid !== undefined && stat.uid !== uid) {
    return { name, status: 'fail', detail: `${home} belongs to uid ${stat.uid}, not to this user (${uid})`, hint: 'use a home of your own: DITTO_HOME or --home' };
  }
  if (!isWritable(home)) return { name, status: 'fail', detail: `${home} is not writable`, hint: `chmod 700 ${home}` };
  const problems: string[] = [];
  if ((stat.mode & 0o077) !== 0) problems.push(`${home} is mode ${octal(stat.mode)}, not 0700`);
  const stateFile = path.join(home, STATE_FILE);
  for (const file of [stateFile, `${stateFile}-wal`, `${stateFile}-shm`]) {
    const mode = fileMode(file);
    if (mode !== null && (mode & 0o077) !== 0) problems.push(`${path.basename(file)} is mode ${octal(mode)}, not 0600`);
  }
  if (problems.length) {
    return { name, status: 'fail', detail: `${problems.join('; ')}: others can read copies' passwords`, hint: `chmod 700 ${home} && chmod 600 ${stateFile}*` };
  }
  const damaged = stateProblem(home);
  if (damaged) return { name, status: 'fail', detail: damaged.message, ...(damaged.hint ? { hint: damaged.hint } : {}) };
  const exists = fileMode(stateFile) !== null;
  return { name, status: 'ok', detail: `${home} is private (0700)${exists ? ', state.db 0600' : ''}` };
}

/** Which runtime new copies would use, and the state of each runtime this machine could offer. */
async function checkRuntime(shared: Shared, engine: Engine, probe: Probe): Promise<Check[]> {
  const { config } = shared.loaded;
  const checks: Check[] = [];

  let binaries: Check;
  const name = `${engine.name} binaries`;
  try {
    binaries = { name, status: 'ok', detail: `found in ${engine.local.findBinDir(config.local.bin_dir)}` };
  } catch (err) {
    const e = asDittoError(err);
    // Only a failure when the local runtime is what the config asks for.
    binaries = { name, status: config.runtime === 'local' ? 'fail' : 'warn', detail: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  }

  const address = engineAddress();
  const docker: Check = probe.ok
    ? { name: 'docker engine', status: 'ok', detail: `answers at ${address.display}` }
    : {
        name: 'docker engine',
        status: config.runtime === 'docker' ? 'fail' : 'warn',
        detail: `no answer at ${address.display}: ${probe.reason}`,
        hint: 'start the Docker engine or set DOCKER_HOST (not needed with the local runtime)',
      };

  try {
    const choice = await shared.runtimes.choose(engine);
    checks.push({ name: 'runtime', status: 'ok', detail: `${choice.runtime.name}: ${choice.runtime.describe(engine)} (${choice.reason})` });
    const clones = choice.runtime.snapshots ? await checkClones(choice.runtime.snapshots) : null;
    // The runtime's line says how copies are cloned: a line of its own only for a warning.
    if (clones) checks.push(clones);
  } catch (err) {
    const e = asDittoError(err);
    checks.push({ name: 'runtime', status: 'fail', detail: e.message, ...(e.hint ? { hint: e.hint } : {}) });
  }
  // `runtime: local` never looks at Docker, and `runtime: docker` needs no server binaries here.
  if (config.runtime !== 'docker') checks.push(binaries);
  if (config.runtime !== 'local') checks.push(docker);
  return checks;
}

/** Past this, a golden snapshot cloned by whole files makes a copy's first writes slow and large. */
const LARGE_SNAPSHOT_BYTES = 2 ** 30;

/** A warning where a copy's first write to a file copies all of it and the golden snapshots are large; else null. */
async function checkClones(snapshots: RuntimeSnapshots): Promise<Check | null> {
  const { method, why } = await snapshots.cloneMethod();
  if (method !== 'overlay' && method !== 'copy') return null;
  let largest: { key: string; bytes: number } | null = null;
  for (const key of await snapshots.list()) {
    const bytes = (await snapshots.size(key)) ?? 0;
    if (bytes > LARGE_SNAPSHOT_BYTES && bytes > (largest?.bytes ?? 0)) largest = { key, bytes };
  }
  if (!largest) return null;
  return {
    name: 'clones',
    status: 'warn',
    detail: `${why}; golden snapshot ${largest.key} is ${formatBytes(largest.bytes)}: each copy's first write to a table copies the table's whole file`,
    hint: 'put the data directory on a filesystem that clones blocks: `ditto storage init --size 100G` (as root), or local.data_dir on XFS or btrfs',
  };
}

/** The home's storage image (`ditto storage init`), if it has one: mounted at the data directory, and its space. */
function checkStorage(home: string): Check | null {
  const report = storageReport(home);
  if (!report) return null;
  const what = `${report.image} at ${report.mountPoint}`;
  if (report.mounted) return { name: 'storage', status: 'ok', detail: `${what}: ${describeSpace(report)}` };
  if (report.imageBytes === null) return { name: 'storage', status: 'fail', detail: `${what}: the image is gone`, hint: 'forget it with `ditto storage remove --force`' };
  return { name: 'storage', status: 'warn', detail: `${what} is not mounted`, hint: 'any ditto command run as root mounts it again' };
}

/** What homes that are gone left in the runtimes this config may use and in data directories (the rule: runtimes/home-mark.ts), and the disk it takes. */
async function checkGoneHomes(shared: Shared, docker: Probe): Promise<Check> {
  const name = 'removed homes';
  const { runtime } = shared.loaded.config;
  const names = goneHomeRuntimes(runtime === 'auto' ? ['local', 'docker'] : [runtime]).filter((n) => n !== 'docker' || docker.ok);
  const found: GoneHomeLeftover[] = [];
  for (const n of names) found.push(...((await (await shared.runtimes.get(n).catch(() => null))?.goneHomes?.().catch(() => [])) ?? []));
  if (found.length === 0) return { name, status: 'ok', detail: 'nothing left behind by removed homes' };
  const bytes = found.reduce((sum, f) => sum + (f.bytes ?? 0), 0);
  const homes = new Set(found.flatMap((f) => f.homes)).size;
  const each = found.map((f) => `${f.what}${f.bytes === null ? '' : ` (${formatBytes(f.bytes)})`} of ${f.homes.join(', ')}`);
  return {
    name,
    status: 'warn',
    detail: `${formatBytes(bytes)} left behind by ${homes} removed ${homes === 1 ? 'home' : 'homes'}: ${each.join('; ')}`,
    hint: 'remove them with `ditto prune` (the maintainer also does, on its next pass)',
  };
}

/** The configured dump: present, readable as a dump, and younger than dump.stale_threshold. */
async function checkDump(loaded: LoadedConfig, engine: Engine): Promise<Check> {
  const { dump } = loaded.config;
  const name = 'dump';
  // The default dump `ditto reseed` writes under the home counts as configured: copies use it.
  const dumpPath = currentDumpPath(loaded.config, loaded.home);
  if (!dumpPath) {
    return { name, status: 'warn', detail: 'none configured: copies are empty databases', hint: 'set dump.path in ditto.yaml, or make one with `ditto reseed --source URL`' };
  }
  // Without the client tools here an archive's table of contents is not read; the format still is.
  const binDir = findBinDirOrNull(() => engine.local.findBinDir(loaded.config.local.bin_dir, engine.container.hostTools));
  try {
    const file = await engine.inspectDump(dumpPath, { binDir });
    const age = Math.max(0, (Date.now() - file.modifiedAt) / 1000);
    const what = `${file.path} (${file.kind}, ${formatBytes(file.size)}, ${formatDuration(age)} old)`;
    if (age > dump.stale_threshold) {
      return { name, status: 'fail', detail: `${what} is stale: older than dump.stale_threshold (${formatDuration(dump.stale_threshold)})`, hint: 'make a fresh one with `ditto reseed`' };
    }
    return { name, status: 'ok', detail: what };
  } catch (err) {
    const e = asDittoError(err);
    return { name, status: 'fail', detail: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  }
}

/** The database `ditto reseed` dumps: the secret resolves and the server answers a query. */
async function checkSource(configured: string, engine: Engine): Promise<Check> {
  const name = 'source';
  let url: string;
  try {
    url = resolveSecret(configured, 'source.url');
  } catch (err) {
    const e = asDittoError(err);
    return { name, status: 'fail', detail: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  }
  try {
    await engine.probe(url, SOURCE_CONNECT_MS);
    return { name, status: 'ok', detail: `${maskUrl(url)} answers` };
  } catch (err) {
    return { name, status: 'fail', detail: `${maskUrl(url)} does not answer: ${(err as Error).message}`, hint: 'check source.url in ditto.yaml, and that the database accepts connections from here' };
  }
}

/** Free ports in the configured range, by dialing each (ditto's own copies count as taken). */
async function checkPorts(loaded: LoadedConfig): Promise<Check> {
  const { min, max } = loaded.config.ports;
  const ports = Array.from({ length: max - min + 1 }, (_, i) => min + i);
  let held = 0;
  for (let i = 0; i < ports.length; i += PORT_PROBE_BATCH) {
    const answers = await Promise.all(ports.slice(i, i + PORT_PROBE_BATCH).map((p) => isPortHeld(p, PORT_PROBE_MS)));
    held += answers.filter(Boolean).length;
  }
  const free = ports.length - held;
  const detail = `${free} of ${min}-${max} free${held ? ` (${held} in use)` : ''}`;
  if (free === 0) return { name: 'ports', status: 'fail', detail, hint: 'destroy copies with `ditto down`, or widen ports.min/ports.max in ditto.yaml' };
  return { name: 'ports', status: 'ok', detail };
}

function nearestExisting(dir: string): string {
  let current = dir;
  while (!fs.existsSync(current) && path.dirname(current) !== current) current = path.dirname(current);
  return current;
}

function isWritable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fileMode(file: string): number | null {
  try {
    return fs.statSync(file).mode;
  } catch {
    return null;
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}
