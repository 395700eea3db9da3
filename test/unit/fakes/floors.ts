import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configSchema, type Config, type ConfigInput } from '../../../src/config/schema.js';
import { openCopies, type Copies } from '../../../src/copies/house.js';
import type { DumpFile, Engine, TargetRestore, TestDatabases, ToolRunner } from '../../../src/engines/engine.js';
import { Engines } from '../../../src/engines/registry.js';
import { DittoError } from '../../../src/errors.js';
import type { EngineName } from '../../../src/model/copy.js';
import type { Endpoint } from '../../../src/model/endpoint.js';
import type { RuntimeChoice, RuntimeSource } from '../../../src/runtimes/registry.js';
import type { RestartRequest, Runtime, RuntimeSnapshots, StartRequest, Storage } from '../../../src/runtimes/runtime.js';
import { openState } from '../../../src/state/store.js';
import { saysNoSpace } from '../../../src/support/no-space.js';

/**
 * In-memory fakes of the engine and runtime floors, for unit tests of the copies floor's logic
 * (pool, golden snapshots, heal, expiry) without servers. The state is a real SQLite file in a
 * temporary home: the logic under test is written against it.
 */

/** A database that answers at once: restores and scrubs record what they were asked. */
export class FakeEngine implements Engine {
  /** `name`: a second fake may stand for an engine ditto does not have yet. */
  constructor(readonly name: EngineName = 'postgres') {}
  readonly schemes: readonly string[] = ['fake'];
  readonly defaultUser = 'owner';
  readonly defaultDatabase = 'db';
  readonly dumpTool = 'dump';
  readonly dumpToolPrefix = /^dump: /;
  restores: string[] = [];
  readonly local = {
    binaries: [],
    findBinDir: () => '/fake/bin',
    account: 'nobody',
    initCommand: () => ({ file: 'init', args: [], files: {} }),
    serverCommand: () => ({ file: 'server', args: [] }),
    stopSignals: { now: 'SIGKILL' as const, clean: 'SIGTERM' as const },
    dataMarker: 'fake',
    lockFiles: () => [],
  };
  readonly container = { defaultImage: 'fake:1', port: 1, dataDir: '/data', filesDir: '/conf', serverUid: 999, env: () => ({}), secretEnv: [], command: () => [], hostTools: [] };
  connectionString(e: Endpoint, c: { user: string; password: string; database: string }): string {
    return `fake://${c.user}:${c.password}@${e.host}:${e.port}/${c.database}`;
  }
  serverFiles(): Record<string, string> {
    return {};
  }
  /** A fake server has no databases to clone: sealing and stocking do nothing, and nothing is made. */
  testDatabases(): TestDatabases {
    return {
      seal: async () => {},
      create: async () => ({ name: 'test_fake00000000', fromStock: false }),
      stock: async () => 0,
      drop: async () => {},
    };
  }
  async waitReady(): Promise<void> {}
  startFailure(log: string): { message: string; portTaken: boolean } {
    return { message: log, portTaken: false };
  }
  diskFull(text: string): boolean {
    return saysNoSpace(text);
  }
  claimsDump(_head: Buffer): boolean {
    return true;
  }
  async inspectDump(file: string): Promise<DumpFile> {
    const stat = fs.statSync(file);
    return { path: file, format: 'sql', kind: 'SQL', size: stat.size, modifiedAt: stat.mtimeMs };
  }
  async restore(_tools: ToolRunner, dump: DumpFile): Promise<string | null> {
    this.restores.push(dump.path);
    return null;
  }
  dumpCommand() {
    return { tool: 'dump', args: [], env: {} };
  }
  async probe(): Promise<void> {}
  parseSource(url: string) {
    return { url, password: null };
  }
  async scrub() {
    return { tables: 0, columns: 0, warnings: [] };
  }
  /** A fake server is never a target. */
  readonly targetRestore: TargetRestore = {
    tools: [],
    how: 'not at all',
    replace: async () => {
      throw new DittoError('BAD_INPUT', 'a fake engine refreshes no target');
    },
  };
  async schemaOf() {
    return { defaultSchema: 'public', tables: [], foreignKeys: [] };
  }
  async runSql() {
    return [];
  }
}

/** Servers as entries in a map: started, stopped, cloned from snapshots that are sets of keys. */
export class FakeRuntime implements Runtime {
  readonly name = 'local' as const;
  /** Copy id -> whether its server runs. */
  readonly servers = new Map<string, boolean>();
  readonly snapshotKeys = new Set<string>();
  started: StartRequest[] = [];
  removed: string[] = [];
  restarted: string[] = [];
  /** The next starts fail with this error. */
  failStart: DittoError | null = null;

  readonly snapshots: RuntimeSnapshots = {
    promote: async (copyId, key) => {
      this.servers.delete(copyId);
      this.snapshotKeys.add(key);
    },
    has: async (key) => this.snapshotKeys.has(key),
    remove: async (key) => void this.snapshotKeys.delete(key),
    list: async () => [...this.snapshotKeys],
    flavor: () => 'fake-build-1',
    cloneMethod: async () => ({ method: 'copy', why: 'copy: a fake' }),
    size: async () => 64 * 2 ** 20,
  };
  /** A directory the test gives, so the error of a full disk can name it and its free space. */
  storage: Storage = { dir: null, place: 'the fake storage', remedy: 'use a larger fake' };

  async check(): Promise<void> {}
  async start(req: StartRequest): Promise<Endpoint> {
    if (this.failStart) throw this.failStart;
    this.started.push(req);
    this.servers.set(req.copyId, true);
    return { host: '127.0.0.1', port: req.port };
  }
  async isRunning(copyId: string): Promise<boolean> {
    return this.servers.get(copyId) === true;
  }
  async running(copyIds: readonly string[]): Promise<Set<string>> {
    return new Set(copyIds.filter((id) => this.servers.get(id) === true));
  }
  /** A server stopped outside ditto starts again; one removed has no data left. */
  async restart(req: RestartRequest): Promise<{ remounted: boolean }> {
    if (!this.servers.has(req.copyId)) throw new DittoError('NOT_FOUND', 'its data directory is gone');
    this.restarted.push(req.copyId);
    this.servers.set(req.copyId, true);
    return { remounted: false };
  }
  async startFailure(): Promise<{ error: DittoError; portTaken: boolean }> {
    return { error: new DittoError('PROVISION_FAILED', 'fake server stopped'), portTaken: false };
  }
  tools(): ToolRunner {
    return { run: async () => ({ exitCode: 0, signal: null, stderr: '' }), dumpPath: (f) => f };
  }
  async remove(copyId: string): Promise<void> {
    this.removed.push(copyId);
    this.servers.delete(copyId);
  }
  async listResources(): Promise<string[]> {
    return [...this.servers.keys()];
  }
  hostBinDir(): string | null {
    return null;
  }
  describe(): string {
    return 'fake';
  }
}

export class FakeRuntimes implements RuntimeSource {
  constructor(readonly runtime: FakeRuntime) {}
  async get(): Promise<Runtime> {
    return this.runtime;
  }
  async choose(): Promise<RuntimeChoice> {
    return { runtime: this.runtime, reason: 'fake' };
  }
}

export interface FakeHome {
  dir: string;
  config: Config;
  engine: FakeEngine;
  runtime: FakeRuntime;
  copies: Copies;
  logged: { message: string; fields?: Record<string, unknown> }[];
  close(): void;
}

/** The copies floor of a temporary home over the fakes; ports from a range nothing else here listens on. */
export function fakeHome(config: ConfigInput = {}): FakeHome {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-fakes-'));
  const base = 32000 + Number(process.env.VITEST_POOL_ID ?? '1') * 100;
  const parsed = configSchema.parse({ runtime: 'local', ports: { min: base, max: base + 49 }, ...config });
  const engine = new FakeEngine();
  const runtime = new FakeRuntime();
  const logged: FakeHome['logged'] = [];
  const copies = openCopies({
    config: parsed,
    home: dir,
    db: openState(dir),
    engines: new Engines({ postgres: () => engine }),
    runtimes: new FakeRuntimes(runtime),
    actor: 'test',
    log: (message, fields) => logged.push({ message, ...(fields ? { fields } : {}) }),
  });
  return {
    dir,
    config: parsed,
    engine,
    runtime,
    copies,
    logged,
    close: () => {
      copies.db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
