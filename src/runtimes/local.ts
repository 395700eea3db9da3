import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isPidAlive } from '../copies/driver.js';
import type { DumpFile, Engine, ToolRunner } from '../engines/engine.js';
import { firstLine } from '../engines/postgres.js';
import { DittoError } from '../errors.js';
import type { Account } from './local-user.js';
import type { Runtime, StartableCopy } from './runtime.js';

export interface LocalRuntimeOptions {
  engine: Engine;
  binDir: string;
  /** Holds one directory per copy, named by its id. */
  dataRoot: string;
  /** Run servers as this account (when ditto is root); null runs them as ourselves. */
  account: Account | null;
}

const STOP_GRACE_MS = 5000;

/** Database servers as processes on this machine, each in `<dataRoot>/<copy id>/`. */
export class LocalRuntime implements Runtime {
  readonly name = 'local' as const;

  constructor(private readonly opts: LocalRuntimeOptions) {}

  describe(): string {
    const as = this.opts.account ? `, servers run as ${this.opts.account.name}` : '';
    return `${this.opts.engine.name} binaries in ${this.opts.binDir}${as}`;
  }

  hostBinDir(): string {
    return this.opts.binDir;
  }

  private copyDir(id: string): string {
    return path.join(this.opts.dataRoot, id);
  }

  private dataDir(id: string): string {
    return path.join(this.copyDir(id), 'data');
  }

  async start(copy: StartableCopy, signal?: AbortSignal): Promise<void> {
    const { engine, binDir, account, dataRoot } = this.opts;
    // 0711: the server account must traverse the root to reach its own 0700 directory.
    fs.mkdirSync(dataRoot, { recursive: true, mode: account ? 0o711 : 0o700 });
    const dir = this.copyDir(copy.id);
    fs.mkdirSync(dir, { mode: 0o700 });
    this.chown(dir);

    const pwfile = path.join(dir, 'pwfile');
    fs.writeFileSync(pwfile, copy.password, { mode: 0o600 });
    this.chown(pwfile);
    const init = engine.local.initCommand(binDir, this.dataDir(copy.id), copy.user, pwfile);
    // execa loads on first use: commands that start no process (ls, status) never pay for it.
    const { execa } = await import('execa');
    const initialized = await execa(init.file, init.args, {
      cwd: dir,
      reject: false,
      cancelSignal: signal,
      env: { LC_ALL: 'C', TZ: 'UTC' },
      ...(account ? { uid: account.uid, gid: account.gid } : {}),
    });
    fs.rmSync(pwfile, { force: true });
    signal?.throwIfAborted();
    if (initialized.exitCode !== 0) {
      throw new DittoError('PROVISION_FAILED', `initializing the data directory failed: ${firstLine(initialized.stderr || initialized.stdout)}`);
    }

    const server = engine.local.serverCommand(binDir, this.dataDir(copy.id), copy.port);
    const log = fs.openSync(path.join(dir, 'server.log'), 'a', 0o600);
    try {
      const child = spawn(server.file, server.args, {
        cwd: dir,
        detached: true, // its own process group, so it outlives us and can be killed as a group
        stdio: ['ignore', log, log],
        env: { LC_ALL: 'C', TZ: 'UTC' },
        ...(account ? { uid: account.uid, gid: account.gid } : {}),
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
          throw new Error(`${tool} exited with ${result.exitCode}: ${errorLine(result.stderr)}`);
        }
      },
      dumpPath: (dump: DumpFile) => dump.path,
    };
  }

  async remove(copyId: string): Promise<void> {
    const pids = this.serverPids(copyId);
    // SIGQUIT: immediate shutdown. The copy is being thrown away; a checkpoint would be wasted work.
    for (const pid of pids) signal(pid, 'SIGQUIT');
    if (!(await waitGone(pids, STOP_GRACE_MS))) {
      for (const pid of pids) signal(-pid, 'SIGKILL');
      if (!(await waitGone(pids, STOP_GRACE_MS))) {
        throw new DittoError('INTERNAL', `server process ${pids.join(', ')} of copy ${copyId} would not stop`);
      }
    }
    fs.rmSync(this.copyDir(copyId), { recursive: true, force: true });
    removeIfEmpty(this.opts.dataRoot);
  }

  async listResources(): Promise<string[]> {
    const ids = new Set<string>();
    try {
      for (const entry of fs.readdirSync(this.opts.dataRoot, { withFileTypes: true })) {
        if (entry.isDirectory()) ids.add(entry.name);
      }
    } catch {
      // No data root yet: no resources.
    }
    for (const { copyId } of scanServers(this.opts.dataRoot)) ids.add(copyId);
    return [...ids];
  }

  /** Live server processes of a copy: from its pid file, or found by their data directory. */
  private serverPids(copyId: string): number[] {
    const pids = new Set<number>();
    const recorded = Number(readTail(path.join(this.copyDir(copyId), 'server.pid'), 32).trim());
    if (Number.isInteger(recorded) && recorded > 0 && isServerOf(recorded, this.dataDir(copyId))) pids.add(recorded);
    for (const found of scanServers(this.opts.dataRoot)) if (found.copyId === copyId) pids.add(found.pid);
    return [...pids];
  }

  private chown(file: string): void {
    if (this.opts.account) fs.chownSync(file, this.opts.account.uid, this.opts.account.gid);
  }
}

/** Server processes whose command line names a data directory under `dataRoot`. */
function scanServers(dataRoot: string): { pid: number; copyId: string }[] {
  const prefix = dataRoot.endsWith(path.sep) ? dataRoot : dataRoot + path.sep;
  const found: { pid: number; copyId: string }[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const args = readCmdline(Number(entry));
    const dataArg = args[args.indexOf('-D') + 1];
    if (args.indexOf('-D') < 0 || !dataArg?.startsWith(prefix)) continue;
    const copyId = dataArg.slice(prefix.length).split(path.sep)[0];
    if (copyId && isPidAlive(Number(entry))) found.push({ pid: Number(entry), copyId });
  }
  return found;
}

function isServerOf(pid: number, dataDir: string): boolean {
  const args = readCmdline(pid);
  return isPidAlive(pid) && args[args.indexOf('-D') + 1] === dataDir;
}

function readCmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

async function waitGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isPidAlive)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

function readTail(file: string, bytes: number): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(bytes, size));
      fs.readSync(fd, buf, 0, buf.length, Math.max(0, size - bytes));
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // Not empty, or already gone.
  }
}

/** The line of a client tool's stderr that says what failed. */
function errorLine(stderr: string): string {
  const lines = stderr.split('\n');
  return firstLine(lines.find((l) => /error|FATAL/i.test(l)) ?? stderr);
}
