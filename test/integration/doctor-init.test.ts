import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadConfig, validate } from '../../src/config/load.js';
import { STARTER_CONFIG } from '../../src/config/starter.js';
import { TestHome } from '../helpers/ditto.js';
import { maintainerPids } from '../helpers/processes.js';
import { waitFor } from '../helpers/state.js';

/** Whether a ditto process (the maintainer) still works on `dir`. */

interface DoctorJson {
  ok: boolean;
  checks: { name: string; status: 'ok' | 'warn' | 'fail'; detail: string; hint?: string }[];
}

describe('ditto init', () => {
  let home: TestHome;
  let dir: string;

  beforeAll(() => {
    home = new TestHome();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-init-'));
  });

  afterAll(() => {
    // No copies were made: no ditto command is needed (one would start a maintainer in the home).
    fs.rmSync(home.dir, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the starter validates, and every key it sets is a default', () => {
    const raw = YAML.parse(STARTER_CONFIG) as Record<string, unknown>;
    expect(validate(raw, 'starter')).toEqual(validate({}, 'defaults'));
    // Its examples (`#key: value`, `#  nested: value`) are valid too, once uncommented.
    const uncommented = STARTER_CONFIG.split('\n').map((line) => line.replace(/^(\s*)#(?=\S|  )/, '$1')).join('\n');
    expect(uncommented).not.toMatch(/^\s*#(?! )/m);
    const examples = validate(YAML.parse(uncommented), 'starter examples');
    expect(examples.dump.path).toBe('./ditto.dump');
    expect(examples.local.bin_dir).toBe('/usr/lib/postgresql/15/bin');
    expect(examples.obfuscate.rules).toHaveLength(3);
    expect(examples.host.tokens).toEqual([{ name: 'ci', token: 'env:DITTO_CI_TOKEN' }]);
    // Commented, not bare: each section says what it is for.
    expect(STARTER_CONFIG.split('\n').filter((l) => l.startsWith('#')).length).toBeGreaterThan(20);
  });

  it('writes ./ditto.yaml that ditto then loads', async () => {
    const result = await home.run(['init'], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
    const file = path.join(dir, 'ditto.yaml');
    expect(result.stdout.trim()).toBe(`wrote ${file}`);
    expect(result.stderr).toContain('ditto doctor');
    expect(fs.readFileSync(file, 'utf8')).toBe(STARTER_CONFIG);
    const loaded = loadConfig({ configPath: file, home: home.dir });
    expect(loaded.file).toBe(file);
    expect(loaded.config.runtime).toBe('auto');
  });

  it('refuses to overwrite without --force, and replaces with it', async () => {
    const file = path.join(dir, 'mine.yaml');
    fs.writeFileSync(file, 'runtime: local\n');
    const refused = await home.run(['init', file]);
    expect(refused.exitCode).toBe(5);
    expect(refused.stderr.trim()).toBe(`ditto: ${file} already exists; edit it, or pass --force to replace it with the starter`);
    expect(fs.readFileSync(file, 'utf8')).toBe('runtime: local\n');

    const forced = await home.run(['init', file, '--force']);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(STARTER_CONFIG);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('says so when the directory does not exist', async () => {
    const result = await home.run(['init', path.join(dir, 'no', 'such', 'ditto.yaml')]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(`ditto: cannot write ${path.join(dir, 'no/such/ditto.yaml')}: ${path.join(dir, 'no/such')} does not exist; write it into an existing directory you can write to`);
  });
});

describe('ditto doctor', () => {
  let home: TestHome;

  beforeAll(() => {
    home = new TestHome({ runtime: 'local' });
  });

  afterAll(async () => {
    // The source test's copy is destroyed by the test; its maintainer leaves once no copy is left.
    await home.run(['down', '--all']);
    await waitFor(() => maintainerPids(home.dir).length === 0, 'the maintainer to leave', 15_000).catch(() => undefined);
    await home.cleanup();
  });

  async function doctor(config: Record<string, unknown>, env: Record<string, string> = {}): Promise<{ exitCode: number; stdout: string; report: DoctorJson }> {
    home.writeConfig(config);
    const text = await home.run(['doctor'], { env });
    const json = await home.run(['doctor', '--json'], { env });
    expect(json.exitCode).toBe(text.exitCode);
    return { exitCode: text.exitCode, stdout: text.stdout, report: JSON.parse(json.stdout) as DoctorJson };
  }

  const statusOf = (report: DoctorJson, name: string) => report.checks.find((c) => c.name === name)?.status;

  it('is green on a working local setup', async () => {
    const { exitCode, stdout, report } = await doctor({ runtime: 'local' });
    expect(exitCode, stdout).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(['config', 'state', 'runtime', 'postgres binaries', 'removed homes', 'dump', 'ports']);
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    // No dump is a warning, not a failure: copies are empty databases.
    expect(statusOf(report, 'dump')).toBe('warn');
    expect(stdout).toMatch(/^✓ config {2,}.*ditto\.yaml is valid$/m);
    expect(stdout).toMatch(/^✓ runtime {2,}local: /m);
    // Other programs on the machine may hold a port of the range: counted, not a failure.
    expect(stdout).toMatch(new RegExp(`^✓ ports {2,}\\d+ of ${home.ports.min}-${home.ports.max} free`, 'm'));
    expect(stdout).toMatch(/^! dump /m);
    expect(stdout.trim().split('\n').at(-1)).toBe('all checks passed');
  });

  it('accepts a fresh dump', async () => {
    const dump = path.join(home.dir, 'fresh.sql');
    fs.writeFileSync(dump, 'CREATE TABLE t (id int);\n');
    const { exitCode, report } = await doctor({ runtime: 'local', dump: { path: dump } });
    expect(exitCode).toBe(0);
    expect(report.checks.find((c) => c.name === 'dump')).toMatchObject({ status: 'ok', detail: expect.stringContaining(`${dump} (SQL,`) });
  });

  it('fails, naming the fix, when the configured dump is missing', async () => {
    const { exitCode, stdout, report } = await doctor({ runtime: 'local', dump: { path: path.join(home.dir, 'gone.dump') } });
    expect(exitCode).toBe(1);
    expect(report.ok).toBe(false);
    expect(stdout).toMatch(/^✗ dump {2,}dump file .*gone\.dump does not exist$/m);
    expect(stdout).toMatch(/→ check dump\.path in ditto\.yaml/);
    expect(stdout.trim().split('\n').at(-1)).toBe('1 check failed');
    // The other checks still ran.
    expect(statusOf(report, 'runtime')).toBe('ok');
  });

  it('fails on a stale dump', async () => {
    const dump = path.join(home.dir, 'old.sql');
    fs.writeFileSync(dump, 'SELECT 1;\n');
    const twoDaysAgo = (Date.now() - 2 * 86400_000) / 1000;
    fs.utimesSync(dump, twoDaysAgo, twoDaysAgo);
    const { exitCode, report } = await doctor({ runtime: 'local', dump: { path: dump, stale_threshold: '1d' } });
    expect(exitCode).toBe(1);
    expect(report.checks.find((c) => c.name === 'dump')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/is stale: older than dump\.stale_threshold \(1d\)$/) });
  });

  it('fails on a damaged state file, with the way out', async () => {
    const stateFile = path.join(home.dir, 'state.db');
    const kept = fs.existsSync(stateFile) ? fs.readFileSync(stateFile) : null;
    fs.writeFileSync(stateFile, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4096, 0x5a)]));
    fs.chmodSync(stateFile, 0o600);
    try {
      const { exitCode, stdout, report } = await doctor({ runtime: 'local' });
      expect(exitCode).toBe(1);
      expect(report.checks.find((c) => c.name === 'state')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/state file .*state\.db is damaged/), hint: expect.stringContaining('.damaged') });
      expect(stdout).toMatch(/^✗ state /m);
    } finally {
      if (kept) fs.writeFileSync(stateFile, kept);
      else fs.rmSync(stateFile, { force: true });
    }
  });

  it('fails when the home is open to others', async () => {
    fs.chmodSync(home.dir, 0o755);
    try {
      const { exitCode, report } = await doctor({ runtime: 'local' });
      expect(exitCode).toBe(1);
      expect(report.checks.find((c) => c.name === 'state')).toMatchObject({ status: 'fail', detail: expect.stringContaining('mode 0755, not 0700'), hint: expect.stringContaining('chmod 700') });
    } finally {
      fs.chmodSync(home.dir, 0o700);
    }
  });

  it('fails on an invalid config, and stops there', async () => {
    const { exitCode, stdout, report } = await doctor({ runtime: 'kubernetes' });
    expect(exitCode).toBe(1);
    expect(report.checks.map((c) => c.name)).toEqual(['config']);
    expect(stdout).toMatch(/^✗ config {2,}.*runtime: expected one of "auto", "local", "docker"$/m);
  });

  it('checks that a configured source answers', async () => {
    home.writeConfig({ runtime: 'local' });
    const dsn = await home.up(['--ttl', '5m']);
    try {
      const good = await doctor({ runtime: 'local', source: { url: 'env:DOCTOR_SOURCE' } }, { DOCTOR_SOURCE: dsn });
      expect(good.exitCode, good.stdout).toBe(0);
      const source = good.report.checks.find((c) => c.name === 'source')!;
      expect(source).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres\?sslmode=disable answers$/) });
      // The password never shows.
      expect(good.stdout).not.toContain(new URL(dsn).password);
    } finally {
      await home.run(['down', '--all']);
    }
    const closed = `postgresql://postgres:pw@127.0.0.1:${home.ports.max}/postgres`;
    const bad = await doctor({ runtime: 'local', source: { url: closed } });
    expect(bad.exitCode).toBe(1);
    expect(bad.report.checks.find((c) => c.name === 'source')).toMatchObject({ status: 'fail', detail: expect.stringContaining(':***@127.0.0.1') });
    const unset = await doctor({ runtime: 'local', source: { url: 'env:DOCTOR_NO_SUCH_VARIABLE' } });
    expect(unset.report.checks.find((c) => c.name === 'source')).toMatchObject({ status: 'fail', hint: expect.stringContaining('export DOCTOR_NO_SUCH_VARIABLE') });
  });

  it('fails when runtime: docker has no engine to reach', async () => {
    const { exitCode, report } = await doctor({ runtime: 'docker' }, { DOCKER_HOST: `unix://${path.join(home.dir, 'no-docker.sock')}` });
    expect(exitCode).toBe(1);
    expect(statusOf(report, 'runtime')).toBe('fail');
    expect(report.checks.find((c) => c.name === 'docker engine')).toMatchObject({ status: 'fail', detail: expect.stringContaining('no-docker.sock') });
    // runtime: docker needs no server binaries on this machine: not checked.
    expect(statusOf(report, 'postgres binaries')).toBeUndefined();
  });
});
