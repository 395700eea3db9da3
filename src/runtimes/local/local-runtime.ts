import fs from 'node:fs';
import path from 'node:path';
import type { Engine, ToolRunner } from '../../engines/engine.js';
import { DittoError } from '../../errors.js';
import { localAddress, type Endpoint } from '../../model/endpoint.js';
import { firstLine } from '../../support/text.js';
import { hostTools, runTool } from '../host-tools.js';
import { markOf, type HomeMark } from '../home-mark.js';
import type { GoneHomeLeftover, RestartRequest, Runtime, RuntimeSnapshots, StartRequest, Storage } from '../runtime.js';
import { chown, serverAccount, writePrivateFiles, type Account } from './account.js';
import { DirCloner, mountsUnder, remountOverlay, removeCloneDir, unmount, type ClonePreference } from './clone.js';
import { copyOwnBytes } from './copy-bytes.js';
import { diskUsage, goneDataDirs, LAYOUT, makeRoot, markDataDir, removeIfOnlyMarked, SNAPSHOT_MARKER } from './data-dirs.js';
import { listDirs, readServerRecord, readTail, recordedPid, removeIfEmpty, scanServers, signalPid, spawnServer, waitGone, writeServerRecord } from './processes.js';

export interface LocalRuntimeOptions {
  /** local.bin_dir: where every engine's binaries are looked for first. */
  binDir: string | undefined;
  /** local.user: the account servers run as when ditto is root (default: the engine's own). */
  user: string | undefined;
  /** Holds `copies/<copy id>/` and `golden/<snapshot key>/`, and the mark of each home that uses it. */
  root: string;
  /** The ditto home whose copies these are. */
  home: string;
  clone: ClonePreference;
}

const STOP_GRACE_MS = 5000;
/** A clean shutdown checkpoints: a large restored snapshot may take a while to write out. */
const PROMOTE_STOP_MS = 120_000;
const ENV = { LC_ALL: 'C', TZ: 'UTC' };
/** A retired copy's directory is `<copy id>.retired-<pid>-<ms>` until its files are gone. */
const RETIRED = '.retired-';

/** Database servers as processes on this machine, each in `<root>/copies/<copy id>/`, of whichever engine. */
export class LocalRuntime implements Runtime {
  readonly name = 'local' as const;
  readonly snapshots: RuntimeSnapshots;
  readonly storage: Storage;
  private readonly copiesRoot: string;
  private readonly goldenRoot: string;
  private readonly cloner: DirCloner;
  private readonly binDirs = new Map<string, string>();
  /** Looked up once per engine: as root, each look-up runs getent. */
  private readonly accounts = new Map<string, Account | null>();
  /** Whether servers run as another account: ditto is root. */
  private readonly asRoot = process.getuid?.() === 0;
  private readonly mark: HomeMark;

  constructor(private readonly opts: LocalRuntimeOptions) {
    this.copiesRoot = path.join(opts.root, LAYOUT.local.copies);
    this.goldenRoot = path.join(opts.root, LAYOUT.local.golden);
    this.cloner = new DirCloner(opts.clone, this.asRoot, opts.root);
    this.storage = { dir: opts.root, remedy: 'set local.data_dir to a directory on a larger disk' };
    this.mark = markOf(opts.home);
    this.snapshots = {
      promote: (copyId, key, engine) => this.promote(copyId, key, engine),
      has: async (key) => fs.existsSync(path.join(this.goldenRoot, key, SNAPSHOT_MARKER)),
      remove: (key) => this.removeSnapshot(key),
      list: async () => listDirs(this.goldenRoot),
      size: (key) => diskUsage(path.join(this.goldenRoot, key)),
      flavor: (engine) => this.binDir(engine),
      cloneMethod: async () => this.cloner.describe(),
    };
  }

  async check(engine: Engine): Promise<void> {
    this.binDir(engine);
    this.account(engine);
  }

  describe(engine: Engine): string {
    const account = this.account(engine);
    const as = account ? `, servers run as ${account.name}` : '';
    return `${engine.name} binaries in ${this.binDir(engine)}${as}; copies cloned by ${this.cloner.describe().why}`;
  }

  hostBinDir(engine: Engine): string | null {
    return this.binDir(engine);
  }

  private binDir(engine: Engine): string {
    let dir = this.binDirs.get(engine.name);
    if (!dir) this.binDirs.set(engine.name, (dir = engine.local.findBinDir(this.opts.binDir)));
    return dir;
  }

  private account(engine: Engine): Account | null {
    if (!this.accounts.has(engine.name)) this.accounts.set(engine.name, serverAccount(this.opts.user, engine.local.account));
    return this.accounts.get(engine.name)!;
  }

  private copyDir(id: string): string {
    return path.join(this.copiesRoot, id);
  }

  private goldenDir(key: string): string {
    return path.join(this.goldenRoot, key, 'data');
  }

  async start(req: StartRequest): Promise<Endpoint> {
    const { engine, signal } = req;
    const account = this.account(engine);
    const dir = this.copyDir(req.copyId);
    const data = path.join(dir, 'data');
    makeRoot(this.copiesRoot, this.asRoot);
    markDataDir(this.opts.root, this.mark);
    fs.mkdirSync(dir, { mode: 0o700 });
    chown(dir, account);
    // The stop signals first: a server found before its pid is recorded can still be stopped the engine's way.
    const record = path.join(dir, 'server.json');
    writeServerRecord(record, { stop: engine.local.stopSignals });
    if (req.from) await this.cloner.clone(this.goldenDir(req.from), dir, account);
    else await this.initDataDir(req, dir, account);
    signal?.throwIfAborted();

    writePrivateFiles(dir, engine.serverFiles(req.serving), account);
    const command = engine.local.serverCommand(this.binDir(engine), data, req.port, dir, req.serving);
    await spawnServer(dir, { stop: engine.local.stopSignals, command }, account, ENV);
    return { host: localAddress(req.serving.listen), port: req.port };
  }

  /**
   * The copy's recorded server command run again on its data directory: the same port, listen
   * address and files (certificate, access rules), which are still beside it.
   */
  async restart(req: RestartRequest): Promise<{ remounted: boolean }> {
    const dir = this.copyDir(req.copyId);
    if (!fs.existsSync(dir)) throw dataGone();
    const record = readServerRecord(path.join(dir, 'server.json'));
    if (recordedPid(record) !== null) return { remounted: false };
    // What is left of the killed server (PostgreSQL's backends outlive their postmaster a moment) holds its data: it goes first.
    await this.stopServer(req.copyId, 'now', STOP_GRACE_MS);
    const remounted = await remountOverlay(dir, req.from ? this.goldenDir(req.from) : null);
    const data = path.join(dir, 'data');
    const { local } = req.engine;
    if (!fs.existsSync(path.join(data, local.dataMarker))) throw dataGone();
    if (!record?.command) throw new DittoError('PROVISION_FAILED', 'it was made by an earlier ditto, which kept no record of how its server was started');
    for (const file of local.lockFiles(data, dir)) fs.rmSync(file, { force: true });
    // A start failure is read from the log of this start, not from what the killed server wrote.
    const log = path.join(dir, 'server.log');
    if (fs.existsSync(log)) fs.renameSync(log, `${log}.1`);
    req.signal?.throwIfAborted();
    await spawnServer(dir, { stop: record.stop, command: record.command }, this.account(req.engine), ENV);
    return { remounted };
  }

  /** A fresh data directory whose superuser has the copy's password. */
  private async initDataDir(req: StartRequest, dir: string, account: Account | null): Promise<void> {
    this.cloner.prepareFresh(path.join(dir, 'data'), account);
    const init = req.engine.local.initCommand(this.binDir(req.engine), path.join(dir, 'data'), req.credentials, dir);
    const files = writePrivateFiles(dir, init.files, account);
    const result = await runTool(init.file, init.args, ENV, { signal: req.signal, cwd: dir, ...(account ? { uid: account.uid, gid: account.gid } : {}) });
    for (const file of files) fs.rmSync(file, { force: true });
    req.signal?.throwIfAborted();
    if (result.exitCode !== 0) {
      const code = req.engine.diskFull(result.stderr) ? 'NO_SPACE' : 'PROVISION_FAILED';
      throw new DittoError(code, `initializing the data directory failed: ${firstLine(result.stderr) || `exit ${result.exitCode ?? result.signal}`}`);
    }
  }

  async isRunning(copyId: string): Promise<boolean> {
    return this.runs(copyId);
  }

  async running(copyIds: readonly string[]): Promise<Set<string>> {
    return new Set(copyIds.filter((id) => this.runs(id)));
  }

  private runs(copyId: string): boolean {
    // The recorded server's own pid when there is one: its backends may outlive it a moment. A
    // scan finds a server started but never recorded.
    const record = readServerRecord(path.join(this.copyDir(copyId), 'server.json'));
    if (record?.pid) return recordedPid(record) !== null;
    return this.serverPids(copyId).length > 0;
  }

  async startFailure(copyId: string, engine: Engine): Promise<{ error: DittoError; portTaken: boolean }> {
    const log = readTail(path.join(this.copyDir(copyId), 'server.log'), 8192);
    const failure = engine.startFailure(log);
    return {
      error: new DittoError(engine.diskFull(log) ? 'NO_SPACE' : 'PROVISION_FAILED', `the database server exited while starting: ${failure.message || 'no log output'}`),
      portTaken: failure.portTaken,
    };
  }

  tools(_copyId: string, engine: Engine): ToolRunner {
    return hostTools(this.binDir(engine));
  }

  async remove(copyId: string): Promise<void> {
    // The engine's immediate stop: the copy is being thrown away; a checkpoint would be wasted work.
    await this.stopServer(copyId, 'now', STOP_GRACE_MS);
    await this.removeFiles(this.copyDir(copyId));
    // What a reset killed half-way left aside.
    for (const name of listDirs(this.copiesRoot).filter((n) => n.startsWith(`${copyId}${RETIRED}`))) await this.removeFiles(path.join(this.copiesRoot, name));
  }

  async retire(copyId: string): Promise<{ gone: Promise<void> }> {
    await this.stopServer(copyId, 'now', STOP_GRACE_MS);
    // A rename keeps the mounts under it; unmounting and deleting then overlap the new server's start.
    const aside = path.join(this.copiesRoot, `${copyId}${RETIRED}${process.pid}-${Date.now()}`);
    try {
      fs.renameSync(this.copyDir(copyId), aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return { gone: Promise.resolve() };
    }
    return { gone: this.removeFiles(aside) };
  }

  private async removeFiles(dir: string): Promise<void> {
    await removeCloneDir(dir);
    this.removeEmptyRoots();
  }

  async copyBytes(copyIds: readonly string[]): Promise<Map<string, number | null>> {
    // One after another: each is a walk and a du or filefrag run, and the machine serves the copies meanwhile.
    const sizes = new Map<string, number | null>();
    for (const id of copyIds) sizes.set(id, await copyOwnBytes(this.copyDir(id)));
    return sizes;
  }

  async listResources(): Promise<string[]> {
    const ids = new Set(listDirs(this.copiesRoot));
    for (const { name } of scanServers(this.copiesRoot)) ids.add(name);
    for (const point of mountsUnder(this.copiesRoot)) ids.add(path.relative(this.copiesRoot, point).split(path.sep)[0]!);
    return [...ids];
  }

  /** Stops a builder copy cleanly (its data then stands alone) and moves its data into the golden root. */
  private async promote(copyId: string, key: string, engine: Engine): Promise<void> {
    await this.stopServer(copyId, 'clean', PROMOTE_STOP_MS);
    await this.removeSnapshot(key);
    makeRoot(path.join(this.goldenRoot, key), this.asRoot);
    markDataDir(this.opts.root, this.mark);
    fs.renameSync(path.join(this.copyDir(copyId), 'data'), this.goldenDir(key));
    try {
      fs.writeFileSync(path.join(this.goldenRoot, key, SNAPSHOT_MARKER), engine.name, { mode: 0o600 });
    } catch (err) {
      // A full disk refuses even the marker: the data without it is no snapshot, and goes.
      await this.removeSnapshot(key);
      throw err;
    }
    fs.rmSync(this.copyDir(copyId), { recursive: true, force: true });
  }

  private async removeSnapshot(key: string): Promise<void> {
    // A server still running in it (a builder that crashed mid-promote cannot be; this is a guard).
    for (const { pid } of scanServers(this.goldenRoot).filter((s) => s.name === key)) signalPid(pid, 'SIGKILL');
    await removeCloneDir(path.join(this.goldenRoot, key));
    this.removeEmptyRoots();
  }

  /** Stops the copy's server with its engine's signal (`how`), escalating to SIGKILL of its process group. */
  private async stopServer(copyId: string, how: 'now' | 'clean', graceMs: number): Promise<void> {
    const signal = readServerRecord(path.join(this.copyDir(copyId), 'server.json'))?.stop[how] ?? 'SIGKILL';
    const pids = this.serverPids(copyId);
    for (const pid of pids) signalPid(pid, signal);
    if (await waitGone(pids, graceMs)) return;
    for (const pid of pids) signalPid(-pid, 'SIGKILL');
    if (!(await waitGone(pids, STOP_GRACE_MS))) {
      throw new DittoError('INTERNAL', `server process ${pids.join(', ')} of copy ${copyId} would not stop`);
    }
  }

  /** Live server processes of a copy: the one it recorded, and any working in its directory. */
  private serverPids(copyId: string): number[] {
    const pids = new Set<number>();
    const recorded = recordedPid(readServerRecord(path.join(this.copyDir(copyId), 'server.json')));
    if (recorded !== null) pids.add(recorded);
    for (const found of scanServers(this.copiesRoot)) if (found.name === copyId) pids.add(found.pid);
    return [...pids];
  }

  private removeEmptyRoots(): void {
    removeIfEmpty(this.copiesRoot);
    removeIfEmpty(this.goldenRoot);
    removeIfOnlyMarked(this.opts.root, this.mark);
  }

  async goneHomes(): Promise<GoneHomeLeftover[]> {
    return Promise.all(goneDataDirs().map(async ({ dir, homes }) => ({ what: `data directory ${dir}`, homes, bytes: await diskUsage(dir) })));
  }

  async sweepGoneHomes(): Promise<GoneHomeLeftover[]> {
    const swept: GoneHomeLeftover[] = [];
    for (const { dir, homes } of goneDataDirs()) {
      // A runtime over that directory stops its servers and unmounts its clones the way it would its own.
      await new LocalRuntime({ ...this.opts, root: dir }).removeAll();
      swept.push({ what: `data directory ${dir}`, homes, bytes: null });
    }
    return swept;
  }

  /** Removes every copy and snapshot, then the root itself with its marks. */
  async removeAll(): Promise<void> {
    for (const id of await this.listResources()) await this.remove(id);
    for (const key of listDirs(this.goldenRoot)) await this.removeSnapshot(key);
    // The Docker runtime's clones in the same directory (their containers gone first, or left on a dangling mount): subvolumes deleted as btrfs does.
    for (const folder of Object.values(LAYOUT.docker)) for (const name of listDirs(path.join(this.opts.root, folder))) await removeCloneDir(path.join(this.opts.root, folder, name));
    for (const point of mountsUnder(this.opts.root)) await unmount(point);
    // A storage image's mount point is left empty: `ditto storage remove` unmounts it.
    await fs.promises.rm(this.opts.root, { recursive: true, force: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EBUSY') throw err;
    });
  }
}

function dataGone(): DittoError {
  return new DittoError('NOT_FOUND', 'its data directory is gone');
}
