// What the benchmarks share: statistics, a printed table, the JSON result file, a private home.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');

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

/** How to run ditto: the single executable when it has been built, else node and the bundle. */
export function dittoArgv() {
  const binary = path.join(root, 'dist/ditto');
  if (fs.existsSync(binary)) return { argv: [binary], label: 'dist/ditto (single executable)' };
  return { argv: [process.execPath, path.join(root, 'dist/ditto.cjs')], label: 'node dist/ditto.cjs' };
}
