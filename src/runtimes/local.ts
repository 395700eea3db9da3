import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isPidAlive } from '../copies/driver.js';
import type { DumpFile, Engine, ToolRunner } from '../engines/engine.js';
import { firstLine, toolErrorLine } from '../engines/postgres.js';
import { DittoError } from '../errors.js';
import { DirCloner, mountsUnder, unmount, type ClonePreference } from './local-clone.js';
import { dataDirArg, readTail, removeIfEmpty, scanServers, signalPid, waitGone } from './local-processes.js';
import type { Account } from './local-user.js';
import type { Runtime, RuntimeSnapshots, StartableCopy } from './runtime.js';

export interface LocalRuntimeOptions {
  engine: Engine;
  binDir: string;
  /** Holds `copies/<copy id>/` and `golden/<snapshot key>/`. */
  root: string;
  /** Run servers as this account (when ditto is root); null runs them as ourselves. */
  account: Account | null;
  clone: ClonePreference;
}

const STOP_GRACE_MS = 5000;
/** A clean shutdown checkpoints: a large restored snapshot may take a while to write out. */
const PROMOTE_STOP_MS = 120_000;
const ENV = { LC_ALL: 'C', TZ: 'UTC' };

/** Database servers as processes on this machine, each in `<root>/copies/<copy id>/`. */
export class LocalRuntime implements Runtime {
  readonly name = 'local' as const;
  readonly snapshots: RuntimeSnapshots;
  private readonly copiesRoot: string;
  private readonly goldenRoot: string;
  private readonly cloner: DirCloner;

  constructor(private readonly opts: LocalRuntimeOptions) {
    this.copiesRoot = path.join(opts.root, 'copies');
    this.goldenRoot = path.join(opts.root, 'golden');
    this.cloner = new DirCloner(opts.clone, opts.account);
    this.snapshots = {
      promote: (copyId, key) => this.promote(copyId, key),
      has: async (key) => fs.existsSync(path.join(this.goldenDir(key), 'PG_VERSION')),
      remove: (key) => this.removeSnapshot(key),
      list: async () => listDirs(this.goldenRoot),
      flavor: () => opts.binDir,
      cloneMethod: async () => this.cloner.method(),
    };
  }

  describe(): string {
    const as = this.opts.account ? `, servers run as ${this.opts.account.name}` : '';
    return `${this.opts.engine.name} binaries in ${this.opts.binDir}${as}; copies cloned by ${this.cloner.method()}`;
  }

  hostBinDir(): string {
    return this.opts.binDir;
  }

  private copyDir(id: string): string {
    return path.join(this.copiesRoot, id);
  }

  private dataDir(id: string): string {
    return path.join(this.copyDir(id), 'data');
  }

  private goldenDir(key: string): string {
    return path.join(this.goldenRoot, key, 'data');
  }

  async start(copy: StartableCopy, signal?: AbortSignal, from?: string): Promise<void> {
    const dir = this.copyDir(copy.id);
    this.makeRoots();
    fs.mkdirSync(dir, { mode: 0o700 });
    this.chown(dir);
    if (from) await this.cloner.clone(this.goldenDir(from), dir);
    else await this.initDataDir(copy, dir, signal);
    signal?.throwIfAborted();

    const server = this.opts.engine.local.serverCommand(this.opts.binDir, this.dataDir(copy.id), copy.port);
    const log = fs.openSync(path.join(dir, 'server.log'), 'a', 0o600);
    try {
      const child = spawn(server.file, server.args, {
        cwd: dir,
        detached: true, // its own process group, so it outlives us and can be killed as a group
        stdio: ['ignore', log, log],
        env: ENV,
        ...this.asAccount(),
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      fs.writeFileSync(path.join(dir, 'server.pid'), String(child.pid), { mode: 0o600 });
      child.unref();
    } finally {
      fs.closeSync(log);
    }
  }

  /** A fresh data directory whose superuser has the copy's password. */
  private async initDataDir(copy: StartableCopy, dir: string, signal?: AbortSignal): Promise<void> {
    const pwfile = path.join(dir, 'pwfile');
    fs.writeFileSync(pwfile, copy.password, { mode: 0o600 });
    this.chown(pwfile);
    const init = this.opts.engine.local.initCommand(this.opts.binDir, this.dataDir(copy.id), copy.user, pwfile);
    // execa loads on first use: commands that start no process (ls, status) never pay for it.
    const { execa } = await import('execa');
    const initialized = await execa(init.file, init.args, { cwd: dir, reject: false, cancelSignal: signal, env: ENV, ...this.asAccount() });
    fs.rmSync(pwfile, { force: true });
    signal?.throwIfAborted();
    if (initialized.exitCode !== 0) {
      throw new DittoError('PROVISION_FAILED', `initializing the data directory failed: ${firstLine(initialized.stderr || initialized.stdout)}`);
    }
  }

  async isRunning(copyId: string): Promise<boolean> {
    return this.serverPids(copyId).length > 0;
  }

  async startFailure(copyId: string): Promise<{ error: DittoError; portTaken: boolean }> {
    const log = readTail(path.join(this.copyDir(copyId), 'server.log'), 8192);
    const fatal = log.split('\n').find((line) => /FATAL|PANIC|ERROR/.test(line)) ?? firstLine(log);
    return {
      error: new DittoError('PROVISION_FAILED', `the database server exited while starting: ${fatal.trim() || 'no log output'}`),
      portTaken: this.opts.engine.local.portInUse.test(log),
    };
  }

  tools(_copy: StartableCopy): ToolRunner {
    const { binDir } = this.opts;
    return {
      async run(tool, args, env) {
        const { execa } = await import('execa');
        const result = await execa(path.join(binDir, tool), args, { env, extendEnv: false, reject: false, stdin: 'ignore' });
        if (result.exitCode !== 0) {
          throw new Error(`${tool} exited with ${result.exitCode}: ${toolErrorLine(result.stderr)}`);
        }
      },
      dumpPath: (dump: DumpFile) => dump.path,
    };
  }

  async remove(copyId: string): Promise<void> {
    // SIGQUIT: immediate shutdown. The copy is being thrown away; a checkpoint would be wasted work.
    await this.stopServer(copyId, 'SIGQUIT', STOP_GRACE_MS);
    for (const point of mountsUnder(this.copyDir(copyId))) await unmount(point);
    // Asynchronously: a shared host keeps serving requests while a copy's files go.
    await fs.promises.rm(this.copyDir(copyId), { recursive: true, force: true });
    this.removeEmptyRoots();
  }

  async listResources(): Promise<string[]> {
    const ids = new Set(listDirs(this.copiesRoot));
    for (const { name } of scanServers(this.copiesRoot)) ids.add(name);
    for (const point of mountsUnder(this.copiesRoot)) ids.add(path.relative(this.copiesRoot, point).split(path.sep)[0]!);
    return [...ids];
  }

  /** Stops a builder copy cleanly (a checkpoint makes its data self-contained) and moves its data into the golden root. */
  private async promote(copyId: string, key: string): Promise<void> {
    await this.stopServer(copyId, 'SIGINT', PROMOTE_STOP_MS);
    await this.removeSnapshot(key);
    fs.mkdirSync(path.join(this.goldenRoot, key), { recursive: true, mode: this.opts.account ? 0o711 : 0o700 });
    fs.renameSync(this.dataDir(copyId), this.goldenDir(key));
    fs.rmSync(this.copyDir(copyId), { recursive: true, force: true });
  }

  private async removeSnapshot(key: string): Promise<void> {
    const dir = path.join(this.goldenRoot, key);
    // A server still building it (a builder that crashed mid-promote cannot be; this is a guard).
    for (const { pid } of scanServers(this.goldenRoot).filter((s) => s.name === key)) signalPid(pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    this.removeEmptyRoots();
  }

  /** Stops the copy's server with `how`, escalating to SIGKILL of its process group. */
  private async stopServer(copyId: string, how: NodeJS.Signals, graceMs: number): Promise<void> {
    const pids = this.serverPids(copyId);
    for (const pid of pids) signalPid(pid, how);
    if (await waitGone(pids, graceMs)) return;
    for (const pid of pids) signalPid(-pid, 'SIGKILL');
    if (!(await waitGone(pids, STOP_GRACE_MS))) {
      throw new DittoError('INTERNAL', `server process ${pids.join(', ')} of copy ${copyId} would not stop`);
    }
  }

  /** Live server processes of a copy: from its pid file, or found by their data directory. */
  private serverPids(copyId: string): number[] {
    const pids = new Set<number>();
    const recorded = Number(readTail(path.join(this.copyDir(copyId), 'server.pid'), 32).trim());
    if (Number.isInteger(recorded) && recorded > 0 && isPidAlive(recorded) && dataDirArg(recorded) === this.dataDir(copyId)) pids.add(recorded);
    for (const found of scanServers(this.copiesRoot)) if (found.name === copyId) pids.add(found.pid);
    return [...pids];
  }

  private makeRoots(): void {
    // 0711: the server account must traverse the roots to reach its own 0700 directory.
    const mode = this.opts.account ? 0o711 : 0o700;
    fs.mkdirSync(this.copiesRoot, { recursive: true, mode });
  }

  private removeEmptyRoots(): void {
    removeIfEmpty(this.copiesRoot);
    removeIfEmpty(this.goldenRoot);
    removeIfEmpty(this.opts.root);
  }

  private asAccount(): { uid?: number; gid?: number } {
    return this.opts.account ? { uid: this.opts.account.uid, gid: this.opts.account.gid } : {};
  }

  private chown(file: string): void {
    if (this.opts.account) fs.chownSync(file, this.opts.account.uid, this.opts.account.gid);
  }
}

function listDirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}
