// What the benchmarks share: statistics, a printed table, the JSON result file, a private home.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');

/** A number given on the command line as `NAME VALUE`, else `fallback` (also for 0 or a non-number). */
export function numberOption(name, fallback) {
  const args = process.argv.slice(2);
  return Number(args[args.indexOf(name) + 1] ?? 0) || fallback;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

export function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Prints rows (arrays of cells) under a header; the first column left-aligned, the rest right. */
export function printTable(title, header, body) {
  const cells = body.map((r) => r.map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((b) => b[i].length)));
  const line = (row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`${title}\n${[line(header), ...cells.map(line)].join('\n')}\n`);
}

/** Writes bench/results/<name>.json with the machine's description. */
export function writeResult(name, result) {
  const out = path.join(root, 'bench/results', `${name}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? null, node: process.version, platform: `${process.platform}-${process.arch}` };
  fs.writeFileSync(out, JSON.stringify({ benchmark: name, date: new Date().toISOString(), machine, ...result }, null, 2) + '\n');
  process.stdout.write(`wrote ${path.relative(root, out)}\n`);
}

/** A temp ditto home with a ditto.yaml of `yaml`; env points ditto at it. */
export function benchHome(yaml) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-bench-'));
  fs.writeFileSync(path.join(dir, 'ditto.yaml'), yaml);
  const env = { ...process.env, DITTO_HOME: dir, DITTO_CONFIG: path.join(dir, 'ditto.yaml'), XDG_CACHE_HOME: path.join(dir, 'cache') };
  return { dir, env };
}

/**
 * Empties a benchmark home and removes it: warm copies, copies and golden snapshots first (a
 * snapshot lives outside the home, under /var/tmp when ditto runs as root), then the directory.
 */
export function removeHome(dir, env, argv) {
  for (const args of [['pool', 'drain'], ['down', '--all'], ['prune']]) spawnSync(argv[0], [...argv.slice(1), ...args], { env, cwd: dir, stdio: 'ignore' });
  // The maintainer may still be writing its last log line for a moment.
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 });
}

/** Wall time of one synchronous run, in ms; throws on a non-zero exit. */
export function timeOnce(argv, opts) {
  const started = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { ms, stdout: String(result.stdout) };
}

/** Runs argv asynchronously; resolves to its wall time, exit code and output. */
export function timeAsync(argv, opts) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, code, stdout, stderr }));
  });
}

/** Newest modification time of the files under `dir`. */
export function newestMtime(dir) {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

/** Builds dist/<output> with `script` (and its args) when it is missing or older than src/ or dashboard/ (which it carries). */
export function ensureBuilt(output, script, scriptArgs = []) {
  const file = path.join(root, 'dist', output);
  const sources = Math.max(newestMtime(path.join(root, 'src')), newestMtime(path.join(root, 'dashboard')));
  if (fs.existsSync(file) && fs.statSync(file).mtimeMs >= sources) return file;
  const built = spawnSync(process.execPath, [path.join(root, 'scripts', script), ...scriptArgs], { stdio: 'inherit', cwd: root });
  if (built.status !== 0) throw new Error(`building ${output} failed`);
  return file;
}

/** How to run ditto as users do: the single executable, built afresh when the sources changed. */
export function dittoArgv() {
  return { argv: [ensureBuilt('ditto', 'build-binary.mjs')], label: 'dist/ditto (single executable)' };
}

/** The newest /usr/lib/postgresql/<v>/bin, for benchmarks that need a plain server or client tools. */
export function pgBinDir() {
  const base = '/usr/lib/postgresql';
  const version = fs.readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))[0];
  return path.join(base, version, 'bin');
}

/**
 * A plain PostgreSQL server (trust auth, loopback, no fsync) to load benchmark data into; run as
 * the postgres account when we are root. Returns its DSN and a stop function.
 */
export function startReferenceServer(port) {
  const bin = pgBinDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-bench-ref-'));
  let as = {};
  if (process.getuid() === 0) {
    const [, , uid, gid] = spawnSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).stdout.trim().split(':');
    as = { uid: Number(uid), gid: Number(gid) };
    fs.chownSync(dir, as.uid, as.gid);
  }
  const run = (file, args) => {
    const r = spawnSync(path.join(bin, file), args, { ...as, cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${file} failed: ${r.stderr}`);
  };
  run('initdb', ['-D', `${dir}/data`, '-U', 'postgres', '--auth=trust', '--no-sync']);
  run('pg_ctl', ['-D', `${dir}/data`, '-w', '-l', `${dir}/log`, '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off -c synchronous_commit=off`, 'start']);
  return {
    dsn: (db = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${db}`,
    stop: () => {
      spawnSync(path.join(bin, 'pg_ctl'), ['-D', `${dir}/data`, '-m', 'immediate', 'stop'], { ...as, cwd: dir });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Median times of `runs` `ditto up` in the home `dir` (each copy destroyed before the next,
 * untimed): wall time, and record -> ready from the copy itself. With `golden`, the first copy
 * makes the dump's snapshot: timed apart (`build`), as it is paid once per dump. The home is
 * emptied and removed afterwards; a failure is returned as `error`.
 */
export function measureUps(argv, dir, env, { runs, golden }) {
  const run = (...a) => timeOnce([...argv, ...a], { env, cwd: dir });
  try {
    let build = null;
    if (golden) {
      const first = run('up', '--json');
      build = first.ms;
      run('down', JSON.parse(first.stdout).id);
    }
    const wall = [];
    const inside = [];
    for (let i = 0; i < runs; i++) {
      const up = run('up', '--json');
      const copy = JSON.parse(up.stdout);
      wall.push(up.ms);
      inside.push(Date.parse(copy.ready_at) - Date.parse(copy.created_at));
      run('down', copy.id);
    }
    return { build, wall: median(wall), inside: median(inside) };
  } catch (err) {
    return { error: err.message.split('\n')[0] };
  } finally {
    removeHome(dir, env, argv);
  }
}

/** Where the local runtime keeps a home's servers and snapshots (src/runtimes/registry.ts: defaultLocalRoot). */
export function dataRootOf(dir) {
  return process.getuid() === 0 ? `/var/tmp/ditto-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}` : path.join(dir, 'local');
}

/**
 * What a home left behind once emptied and removed (removeHome): servers under its data root,
 * mounts, directories. The data root goes when nothing runs or is mounted there.
 */
export function leftBehind(dir) {
  const dataRoot = dataRootOf(dir);
  const problems = [];
  const servers = spawnSync('pgrep', ['-af', dataRoot], { encoding: 'utf8' }).stdout.trim();
  const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.includes(dataRoot) || l.includes(dir));
  if (servers) problems.push(`servers left under ${dataRoot}: ${servers}`);
  if (mounts.length) problems.push(`mounts left: ${mounts.join('; ')}`);
  if (!servers && !mounts.length) fs.rmSync(dataRoot, { recursive: true, force: true });
  const dirs = [dir, dataRoot].filter((d) => fs.existsSync(d));
  if (dirs.length) problems.push(`left behind: ${dirs.join(', ')}`);
  return problems;
}

/**
 * Starts `node <cli> host` in the home `dir`, its output straight into dir/host.log (so a busy
 * host never waits on this process); resolves to the child and the API's URL once it listens.
 */
export async function startHost(cli, dir, env, timeoutMs = 20_000) {
  const logFile = path.join(dir, 'host.log');
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [cli, 'host'], { env, cwd: dir, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  for (const until = Date.now() + timeoutMs; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
    const found = /"url":"(https?:\/\/127\.0\.0\.1:\d+)"/.exec(fs.readFileSync(logFile, 'utf8'));
    if (found) return { child, url: found[1], log: logFile };
    if (child.exitCode !== null) throw new Error(`ditto host exited ${child.exitCode}; see ${logFile}`);
  }
  await stopHost(child);
  throw new Error(`ditto host did not start within ${timeoutMs / 1000}s; see ${logFile}`);
}

/** SIGTERM to a host, and its exit awaited (SIGKILL after `graceMs`); resolves to how it ended. */
export function stopHost(child, graceMs = 30_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode, killed: false });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code, signal) => (clearTimeout(timer), resolve({ code, signal, killed: signal === 'SIGKILL' })));
    child.kill('SIGTERM');
  });
}

/** The host's own handling time of `route` (its request log's `ms`) between two instants. */
export function hostHandling(logFile, route, from, to) {
  const ms = fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`"route":"${route}"`))
    .map((l) => JSON.parse(l))
    .filter((e) => e.time >= from && e.time <= to)
    .map((e) => e.ms);
  return { host_p50_ms: round(median(ms), 2), host_p99_ms: round(quantile(ms, 0.99), 2) };
}
