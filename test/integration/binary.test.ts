import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBinDir } from '../../src/engines/postgres/server.js';
import { REPO, TestHome, expectOneLineError, type CopyJson } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';
import { query } from '../helpers/pg.js';
import { processesWhere } from '../helpers/processes.js';
import { waitFor } from '../helpers/state.js';

/**
 * The single executable, as a machine without Node.js sees it: dist/ditto copied alone into an
 * empty directory, run with a PATH that holds only it and the PostgreSQL binaries.
 */
const BUILT = path.join(REPO, 'dist/ditto');
const DSN = /^postgresql:\/\/postgres:[A-Za-z0-9_-]{20,}@127\.0\.0\.1:(\d+)\/postgres\?sslmode=disable$/;
const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/** Builds dist/ditto unless it is newer than everything it is made of (it takes a few seconds). */
function ensureBinary(): void {
  const inputs = [path.join(REPO, 'src'), path.join(REPO, 'scripts/build-binary.mjs'), path.join(REPO, 'package-lock.json'), path.join(REPO, 'scripts/sea-node/package-lock.json')];
  const newest = Math.max(...inputs.map(newestMtime));
  if (fs.existsSync(BUILT) && fs.statSync(BUILT).mtimeMs > newest) return;
  execFileSync(process.execPath, [path.join(REPO, 'scripts/build-binary.mjs')], { stdio: 'inherit', cwd: REPO });
}

function newestMtime(file: string): number {
  const stat = fs.statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...fs.readdirSync(file).map((entry) => newestMtime(path.join(file, entry))));
}

/**
 * The system's /usr/bin and /bin (getent, sh, ...) as a directory of links, less Node.js and its
 * tools: node lives in /usr/bin on some machines, and this test's PATH must not reach it.
 */
const NODE_TOOLS = new Set(['node', 'nodejs', 'npm', 'npx', 'corepack']);
function systemBinWithoutNode(dir: string): string {
  fs.mkdirSync(dir);
  for (const source of ['/usr/bin', '/bin']) {
    if (!fs.existsSync(source)) continue;
    for (const name of fs.readdirSync(source)) {
      const link = path.join(dir, name);
      if (!NODE_TOOLS.has(name) && !fs.existsSync(link)) fs.symlinkSync(path.join(source, name), link);
    }
  }
  return dir;
}

/** Pids of processes started from `exe` (the maintainer the executable spawns of itself, for one). */
function processesOf(exe: string): number[] {
  return processesWhere((p) => p.exe === exe);
}

function cmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return []; // already gone
  }
}

describe('the single executable', () => {
  let sandbox: string;
  let ditto: string;
  let home: TestHome;
  let env: Record<string, string>;

  beforeAll(() => {
    ensureBinary();
    sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-bin-'));
    const binDir = path.join(sandbox, 'bin');
    fs.mkdirSync(binDir);
    ditto = path.join(binDir, 'ditto');
    fs.copyFileSync(BUILT, ditto);
    fs.chmodSync(ditto, 0o755);
    home = new TestHome({ runtime: 'local', pool: { size: 0 } }, { command: [ditto] });
    const pgBin = postgresBinDir(undefined);
    env = {
      ...home.env(),
      PATH: [binDir, pgBin, systemBinWithoutNode(path.join(sandbox, 'usr-bin'))].join(path.delimiter),
      HOME: path.join(sandbox, 'home'),
      XDG_CACHE_HOME: path.join(sandbox, 'cache'),
    };
  });

  afterAll(async () => {
    // The executable cleans up after itself; the home goes once its maintainer has left.
    await run(['down', '--all']).catch(() => undefined);
    await run(['prune']).catch(() => undefined);
    await waitFor(() => processesOf(ditto).length === 0, 'the executable’s processes to exit', 15_000).catch(() => undefined);
    await home.cleanup();
    fs.rmSync(sandbox, { recursive: true, force: true });
  });

  async function run(args: string[], extraEnv: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const result = await execa(ditto, args, { env: { ...env, ...extraEnv }, extendEnv: false, cwd: sandbox, reject: false, stdin: 'ignore' });
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1 };
  }

  it('has no node to lean on: not on its PATH, no node_modules beside it', async () => {
    for (const dir of env.PATH!.split(path.delimiter)) {
      for (const tool of NODE_TOOLS) expect(fs.existsSync(path.join(dir, tool)), `${dir}/${tool}`).toBe(false);
    }
    const lookup = await execa('/bin/sh', ['-c', 'command -v node'], { env: { PATH: env.PATH! }, extendEnv: false, reject: false });
    expect(lookup.exitCode).not.toBe(0);
    expect(fs.readdirSync(path.dirname(ditto))).toEqual(['ditto']);
    const version = await run(['--version']);
    expect(version).toMatchObject({ exitCode: 0, stdout: VERSION });
  });

  it('up, ls, env and down --all work from the executable, and nothing is left behind', async () => {
    const up = await run(['up', '--ttl', '5m', '--label', 'bin-up']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toMatch(DSN);
    await expect(query(up.stdout, 'SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);

    // State goes through the executable's own node:sqlite: no native addon is written anywhere.
    expect(fs.existsSync(path.join(env.XDG_CACHE_HOME!, 'ditto'))).toBe(false);

    const ls = await run(['ls', '--json']);
    expect(ls.exitCode, ls.stderr).toBe(0);
    const copies = JSON.parse(ls.stdout) as CopyJson[];
    expect(copies.map((c) => [c.label, c.status])).toEqual([['bin-up', 'ready']]);

    // eval "$(ditto env)" in a plain sh, the way a script uses it.
    const shell = await execa('/bin/sh', ['-c', `eval "$("${ditto}" env --label bin-env)" && printf '%s\\n%s\\n' "$DATABASE_URL" "$DITTO_COPY_ID"`], {
      env,
      extendEnv: false,
      cwd: sandbox,
    });
    const [url, id] = shell.stdout.split('\n');
    expect(url).toMatch(DSN);
    // Every start begins from the same snapshot: ids and passwords must still come out different.
    expect(id).not.toBe(copies[0]!.id);
    expect(new URL(url!).password).not.toBe(new URL(up.stdout).password);
    await expect(query(url!, 'SELECT 2 AS two')).resolves.toEqual([{ two: 2 }]);

    // Shell completion offers the copies' ids for `down`.
    const completion = await run(['--get-yargs-completions', 'ditto', 'down', '']);
    expect(completion.stdout.split('\n').sort()).toEqual([copies[0]!.id, id!].sort());

    // The maintainer `up` starts is this executable run again, not node.
    await waitFor(
      () => processesOf(ditto).some((pid) => cmdline(pid).includes('maintain')),
      'the executable to run its maintainer',
      10_000,
    );
    for (const pid of processesOf(process.execPath)) {
      expect(cmdline(pid).includes(home.dir), `node process ${pid} works on the test home: ${cmdline(pid).join(' ')}`).toBe(false);
    }

    const down = await run(['down', '--all']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout.trim().split('\n').sort()).toEqual([`destroyed ${copies[0]!.id}`, `destroyed ${id}`].sort());
    const after = await run(['ls', '--json']);
    expect(JSON.parse(after.stdout)).toEqual([]);
    expect(await leftovers(home, [Number(DSN.exec(up.stdout)![1]), Number(DSN.exec(url!)![1])])).toEqual([]);
    // A maintainer it spawned leaves once no copy is left.
    await waitFor(() => processesOf(ditto).length === 0, 'the executable’s processes to exit', 15_000);
  });

  it('loads the libraries it keeps outside its start-up snapshot when a command needs them (the MCP SDK among them)', async () => {
    // The AWS SDK: an S3 endpoint nobody listens on.
    home.writeConfig({ dump: { s3: { endpoint: 'http://127.0.0.1:1', access_key_id: 'k', secret_access_key: 's' } } });
    expectOneLineError(await run(['up', '--dump', 's3://dumps/x.dump']), 69, /cannot fetch dump s3:\/\/dumps\/x\.dump: connection refused/);
    // The Docker client: an engine over TCP that does not answer.
    home.writeConfig({ runtime: 'docker' });
    expectOneLineError(await run(['status'], { DOCKER_HOST: 'tcp://127.0.0.1:1' }), 69, /cannot reach the Docker engine at tcp:\/\/127\.0\.0\.1:1: connection refused/);

    // listr2: progress on a terminal.
    home.writeConfig({ host: { tokens: [{ name: 'ci', token: 'env:DITTO_TEST_TOKEN' }], admin_tokens: [{ name: 'ops', token: 'env:DITTO_TEST_ADMIN' }] } });
    const tty = await home.runTty(['up', '--ttl', '5m', '--label', 'bin-tty'], { HOME: env.HOME!, XDG_CACHE_HOME: env.XDG_CACHE_HOME! });
    expect(tty.exitCode, tty.stdout).toBe(0);
    expect(tty.stdout).toMatch(/Copy \w+ ready on port \d+ in [\d.]+s, expires in 5m/);

    // pino, croner and the HTTP server: the shared host lists that copy to an admin.
    const child = execa(ditto, HostProcess.ARGS, { env: { ...env, DITTO_TEST_TOKEN: 'bin-token', DITTO_TEST_ADMIN: 'bin-admin' }, extendEnv: false, cwd: sandbox, reject: false, stdin: 'ignore' });
    const host = await HostProcess.attach(child);
    try {
      const listed = await host.api('GET', '/v2/copies', { token: 'bin-admin' });
      expect(listed.status, listed.text).toBe(200);
      expect((listed.json as { label: string }[]).map((c) => c.label)).toEqual(['bin-tty']);
      expect(host.logLines.some((line) => line.includes('ditto host listening'))).toBe(true);
    } finally {
      expect(await host.stop()).toBe(0);
    }
    const down = await run(['down', '--all']);
    expect(down.exitCode, down.stderr).toBe(0);

    // The MCP SDK: `ditto mcp` on stdio answers an agent's first calls (its input ends after them).
    const rpc = (id: number | null, method: string, params: object = {}) => JSON.stringify({ jsonrpc: '2.0', ...(id === null ? {} : { id }), method, params });
    const agent = await execa(ditto, ['mcp'], {
      env,
      extendEnv: false,
      cwd: sandbox,
      reject: false,
      timeout: 30_000,
      input: [
        rpc(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'binary-test', version: '1' } }),
        rpc(null, 'notifications/initialized'),
        rpc(2, 'tools/call', { name: 'copy_list', arguments: {} }),
      ].join('\n') + '\n',
    });
    expect(agent.exitCode, agent.stderr).toBe(0);
    const answers = agent.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: number; result: { serverInfo?: { name: string }; content?: { text: string }[] } });
    expect(answers.find((a) => a.id === 1)!.result.serverInfo!.name).toBe('ditto');
    expect(answers.find((a) => a.id === 2)!.result.content).toEqual([{ type: 'text', text: '[]' }]);
    home.writeConfig({});
  });

  it('starts from its snapshot with and without V8 flags in NODE_OPTIONS, as CI jobs often set them, without a word on stderr', async () => {
    // Node 20 refused to start from a snapshot under V8 flags (exit 14); the executable is built on Node 24.
    for (const flags of ['', '--max-old-space-size=4096', '--max-semi-space-size=8 --no-warnings', '--max-old-space-size=512 --max-semi-space-size=16']) {
      const ls = await run(['ls', '--json'], { NODE_OPTIONS: flags });
      expect(ls, flags).toMatchObject({ exitCode: 0, stderr: '' });
      expect(JSON.parse(ls.stdout)).toEqual([]);
    }
    const version = await run(['--version'], { NODE_OPTIONS: '--max-old-space-size=4096' });
    expect(version).toMatchObject({ exitCode: 0, stdout: VERSION, stderr: '' });
    // A command that makes a copy, loads library bundles (pino, execa) and spawns its maintainer.
    const up = await run(['up', '--ttl', '5m', '--label', 'v8-flags'], { NODE_OPTIONS: '--max-old-space-size=4096' });
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toMatch(DSN);
    const down = await run(['down', '--label', 'v8-flags'], { NODE_OPTIONS: '--max-old-space-size=4096' });
    expect(down.exitCode, down.stderr).toBe(0);
  });

  it('doctor runs from the executable', async () => {
    const doctor = await run(['doctor']);
    expect(doctor.exitCode, doctor.stdout).toBe(0);
    expect(doctor.stdout).toMatch(/^✓ config/m);
    expect(doctor.stdout).toMatch(/^✓ runtime +local/m);
  });
});

describe('install.sh', () => {
  let prefix: string;

  beforeAll(() => {
    ensureBinary();
    prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-prefix-'));
  });

  afterAll(() => {
    fs.rmSync(prefix, { recursive: true, force: true });
  });

  it('installs into --prefix, and a second run replaces it in place', async () => {
    const target = path.join(prefix, 'bin', 'ditto');
    const first = await execa(path.join(REPO, 'install.sh'), ['--prefix', path.dirname(target)], { cwd: REPO, reject: false });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toContain(`installed ditto ${VERSION} at ${target}`);
    expect(first.stdout).toMatch(/is not on PATH|is on PATH/);
    const inode = fs.statSync(target).ino;

    const second = await execa(path.join(REPO, 'install.sh'), ['--prefix', path.dirname(target)], { cwd: REPO, reject: false, env: { PATH: `${path.dirname(target)}:${process.env.PATH}` } });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toContain(`${path.dirname(target)} is on PATH`);
    // Renamed over, not rewritten: a running ditto keeps its file; no temp file is left.
    expect(fs.statSync(target).ino).not.toBe(inode);
    expect(fs.readdirSync(path.dirname(target))).toEqual(['ditto']);
    expect(fs.statSync(target).mode & 0o777).toBe(0o755);

    const version = await execa(target, ['--version'], { env: { PATH: '/nonexistent' }, extendEnv: false });
    expect(version.stdout).toBe(VERSION);
  });

  it('says what is wrong with a bad --binary or an unwritable prefix', async () => {
    const missing = await execa(path.join(REPO, 'install.sh'), ['--prefix', prefix, '--binary', path.join(prefix, 'nope')], { reject: false });
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toMatch(/^install\.sh: --binary .*nope: no such file$/m);

    const file = path.join(prefix, 'a-file');
    fs.writeFileSync(file, '');
    const notDir = await execa(path.join(REPO, 'install.sh'), ['--prefix', path.join(file, 'bin'), '--binary', BUILT], { reject: false });
    expect(notDir.exitCode).not.toBe(0);
    expect(notDir.stderr).toMatch(/^install\.sh: cannot create .*a-file\/bin/m);
  });
});
