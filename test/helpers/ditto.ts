import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { expect } from 'vitest';
import YAML from 'yaml';
import { defaultLocalRoot } from '../../src/runtimes/registry.js';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(REPO, 'dist/ditto.cjs');

/**
 * How test homes start ditto unless a test says otherwise: node and the bundled CLI, or with
 * DITTO_TEST_JS=deno, `deno run -A` of the same bundle (any suite can be run under Deno that way).
 */
const DEFAULT_COMMAND: readonly string[] =
  process.env.DITTO_TEST_JS === 'deno' ? [path.join(REPO, 'node_modules/@deno/linux-x64-glibc/deno'), 'run', '-A', CLI] : [process.execPath, CLI];
// No check for a newer Deno (it would reach out past loopback): see js-runtimes.ts.
if (process.env.DITTO_TEST_JS === 'deno') process.env.DENO_NO_UPDATE_CHECK = '1';
export const PAGILA = path.resolve(REPO, '../shared/fixtures/pagila');

/** Writes pagila's schema and data as one plain SQL dump at `file`; returns the path. */
export function writePagilaSql(file: string): string {
  fs.writeFileSync(file, fs.readFileSync(path.join(PAGILA, 'pagila-schema.sql'), 'utf8') + fs.readFileSync(path.join(PAGILA, 'pagila-data.sql'), 'utf8'));
  return file;
}

export interface Result {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** A failure as users must see it: the exit code, exactly one `ditto: ` line on stderr, nothing on stdout, no stack. */
export function expectOneLineError(result: Result, code: number, pattern: RegExp): void {
  expect(result.exitCode, result.stderr).toBe(code);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^ditto: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

/** The variables by which ditto tells it runs in a CI service, blanked (support/ci-run.ts). */
const NO_CI = { GITHUB_ACTIONS: '', GITLAB_CI: '', CIRCLECI: '', BUILDKITE: '', JENKINS_URL: '', TRAVIS: '', DITTO_RUN_ID: '', DITTO_JOB_NAME: '' };

/**
 * A ditto home of its own (temp dir, ditto.yaml, a port range no other test home uses), and a
 * way to run the CLI against it as a script would.
 */
export class TestHome {
  readonly dir: string;
  readonly ports: { min: number; max: number };
  /** How ditto is started: DEFAULT_COMMAND, unless a test runs it another way (the single executable, Deno). */
  readonly command: readonly string[];

  constructor(config: Record<string, unknown> = {}, opts: { portCount?: number; command?: string[] } = {}) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-test-'));
    this.ports = nextPortRange(opts.portCount ?? 20);
    this.command = opts.command ?? DEFAULT_COMMAND;
    this.writeConfig(config);
  }

  get configFile(): string {
    return path.join(this.dir, 'ditto.yaml');
  }

  /** Rewrites ditto.yaml; the test's port range and runtime apply unless `config` sets its own. */
  writeConfig(config: Record<string, unknown>): void {
    // The local runtime unless a test says otherwise: a Docker engine here has no default image to use.
    const full = { runtime: 'local', ports: this.ports, pool: { size: 0 }, ...config };
    fs.writeFileSync(this.configFile, YAML.stringify(full));
  }

  /** The CLI's environment: this home, and no CI service's markers (the suite may itself run in CI), unless `extra` sets them. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return { ...NO_CI, DITTO_HOME: this.dir, DITTO_CONFIG: this.configFile, ...extra };
  }

  /** Runs `ditto args...` with stdout and stderr as pipes (the way `DB=$(ditto up)` sees it). */
  async run(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<Result> {
    const [file, ...prefix] = this.command;
    const result = await execa(file!, [...prefix, ...args], {
      env: this.env(opts.env),
      cwd: opts.cwd ?? this.dir,
      reject: false,
      stdin: 'ignore',
    });
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1 };
  }

  /** Starts `ditto args...` without waiting, for signal tests. */
  spawn(args: string[], env: Record<string, string> = {}): ResultPromise {
    const [file, ...prefix] = this.command;
    return execa(file!, [...prefix, ...args], { env: this.env(env), cwd: this.dir, reject: false, stdin: 'ignore' });
  }

  /** Runs `ditto args...` under a pseudo-terminal (util-linux `script`); output is stdout and stderr merged. */
  async runTty(args: string[], env: Record<string, string> = {}): Promise<Result> {
    const command = [...this.command, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
    // A pty from `script` starts 0 columns wide; give it a real terminal's size.
    const result = await execa('script', ['-qefc', `stty cols 120 rows 40; ${command}`, '/dev/null'], { env: { ...this.env(env), TERM: 'xterm' }, cwd: this.dir, reject: false, stdin: 'ignore' });
    return { stdout: result.stdout.replaceAll('\r', ''), stderr: result.stderr, exitCode: result.exitCode ?? -1 };
  }

  /** `ditto up` that must succeed; returns the connection string. */
  async up(args: string[] = []): Promise<string> {
    const result = await this.run(['up', ...args]);
    if (result.exitCode !== 0) throw new Error(`ditto up failed (${result.exitCode}): ${result.stderr}`);
    return result.stdout.trim();
  }

  /** `ditto up --json`, which must succeed: the copy as it prints it. */
  async upJson(args: string[] = []): Promise<CopyJson> {
    const result = await this.run(['up', '--json', ...args]);
    if (result.exitCode !== 0) throw new Error(`ditto up failed (${result.exitCode}): ${result.stderr}`);
    return JSON.parse(result.stdout) as CopyJson;
  }

  async ls(all = false): Promise<CopyJson[]> {
    const result = await this.run(['ls', '--json', ...(all ? ['--all'] : [])]);
    if (result.exitCode !== 0) throw new Error(`ditto ls failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as CopyJson[];
  }

  /**
   * Destroys every copy (warm ones first, so nothing refills) and golden snapshot, removes the
   * home, and fails if the local runtime's directory outlives them: a leak.
   */
  async cleanup(): Promise<void> {
    await this.run(['pool', 'drain']);
    await this.run(['down', '--all']);
    await this.run(['prune']);
    fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    const root = defaultLocalRoot(this.dir, process.getuid?.() === 0);
    if (fs.existsSync(root)) throw new Error(`ditto left ${root} behind: ${fs.readdirSync(root, { recursive: true }).slice(0, 5).join(', ')}`);
  }
}

export interface CopyJson {
  id: string;
  status: string;
  warm: boolean;
  runtime: string;
  port: number | null;
  connection_string?: string;
  label: string | null;
  run_id: string | null;
  job_name: string | null;
  error_message: string | null;
  expires_at: string | null;
  /** The bytes the copy owns on disk, as `ls --json` measures them. */
  disk_bytes?: number | null;
}

/**
 * Port ranges that never overlap between homes, within a worker (a counter) or across workers
 * (VITEST_POOL_ID), so parallel test files cannot race for a port. DITTO_TEST_PORT_BASE moves them
 * all, for a second suite run beside the first (another checkout of the project).
 */
let homesMade = 0;
function nextPortRange(count: number): { min: number; max: number } {
  const worker = Number(process.env.VITEST_POOL_ID ?? '1');
  const slot = homesMade++ % 100;
  const min = Number(process.env.DITTO_TEST_PORT_BASE ?? 20000) + (worker - 1) * 4000 + slot * 40;
  return { min, max: min + Math.min(count, 40) - 1 };
}

export const SAKILA = path.resolve(REPO, '../shared/fixtures/sakila');

/** The Sakila fixture as one SQL dump (schema, then rows): it creates and fills its own `sakila` database. */
export function writeSakilaSql(file: string): string {
  fs.writeFileSync(file, Buffer.concat([fs.readFileSync(path.join(SAKILA, 'sakila-schema.sql')), Buffer.from('\n'), fs.readFileSync(path.join(SAKILA, 'sakila-data.sql'))]));
  return file;
}
