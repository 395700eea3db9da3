import fs from 'node:fs';
import { execa } from 'execa';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';
import { pagilaSource } from '../helpers/dumps.js';
import { HostProcess } from '../helpers/host-process.js';
import { closeHome } from '../helpers/leaks.js';
import { query } from '../helpers/pg.js';
import { ReferenceServer } from '../helpers/reference-pg.js';

const RULES = [
  { table: 'customer', column: 'email', strategy: 'replace', type: 'email' },
  { table: 'customer', column: 'last_name', strategy: 'hash' },
];

/**
 * `ditto target refresh` against a second live PostgreSQL server (the target, "staging"): its
 * contents replaced by pagila's, scrubbed; and every way it can go wrong leaving it as it was.
 */
describe('ditto target refresh (PostgreSQL)', () => {
  let home: TestHome;
  let source: ReferenceServer;
  let target: ReferenceServer;
  let rawDump: string;
  let stagingUrl: string;
  let config: Record<string, unknown>;
  const password = 'staging-pw-never-shown';
  const env = () => ({ STAGING_URL: stagingUrl });
  const staging = () => target.dsn.replace(/\/postgres$/, '/staging');
  /** What the target holds: its tables, and a sample that tells old from new and raw from scrubbed. */
  const contents = async () => ({
    tables: (await query<{ t: string }>(staging(), `SELECT schemaname || '.' || tablename AS t FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)).map((r) => r.t),
    customers: await query(staging(), `SELECT to_regclass('public.customer') IS NOT NULL AS present`).then(async ([r]) =>
      r!.present ? await query(staging(), 'SELECT customer_id, email, last_name FROM customer ORDER BY customer_id') : null,
    ),
  });

  beforeAll(async () => {
    home = new TestHome({}, { portCount: 14 });
    source = await pagilaSource(home, { runtime: 'local' });
    // The target is a server of its own, on the port below the source's: both inside this home's range, which copies do not use.
    target = new ReferenceServer(home.ports.max - 1);
    await target.start();
    await target.psql('CREATE DATABASE staging');
    await target.psql(`CREATE TABLE old_orders (id int PRIMARY KEY); INSERT INTO old_orders SELECT generate_series(1, 3);
      CREATE SCHEMA legacy; CREATE TABLE legacy.notes (body text); INSERT INTO legacy.notes VALUES ('old');`, 'staging');
    stagingUrl = staging().replace('postgres@', `postgres:${password}@`);
    rawDump = path.join(home.dir, 'pagila.dump');
    await source.dump(rawDump, 'custom');
    config = {
      runtime: 'local',
      ports: { min: home.ports.min, max: home.ports.max - 2 },
      dump: { path: rawDump },
      targets: { staging: { url: 'env:STAGING_URL' } },
      obfuscate: { seed: 'fixed-seed', rules: RULES },
    };
    home.writeConfig(config);
  });

  afterAll(() => closeHome(home, source, target));

  it('refuses without --confirm (nobody to ask on a pipe), and changes nothing', async () => {
    const before = await contents();
    const result = await home.run(['target', 'refresh', 'staging'], { env: env() });
    expectOneLineError(result, 2, /refreshing target staging replaces everything in it: not done without confirmation; add --confirm/);
    expect(result.stderr).not.toContain(password);
    expect(await contents()).toEqual(before);
    expect(before.tables).toEqual(['legacy.notes', 'public.old_orders']);
  });

  it('on a terminal, asks first; anything but yes refuses', async () => {
    const before = await contents();
    const command = [...home.command, 'target', 'refresh', 'staging'].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
    const answered = await execa('script', ['-qefc', command, '/dev/null'], { env: { ...home.env(env()), TERM: 'xterm' }, cwd: home.dir, reject: false, input: 'n\n' });
    expect(answered.stdout).toContain('replace everything in target staging');
    expect(answered.stdout).toContain('Go ahead? [y/N]');
    expect(answered.stdout).toMatch(/ditto: refreshing target staging replaces everything in it: not done without confirmation/);
    expect(answered.exitCode).toBe(2);
    expect(await contents()).toEqual(before);
  });

  it('--dry-run says what would happen and changes nothing', async () => {
    const before = await contents();
    const result = await home.run(['target', 'refresh', 'staging', '--dry-run', '--confirm'], { env: env() });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('dry run: nothing changed');
    expect(result.stdout).toContain(`replace everything in target staging (postgresql://postgres:***@127.0.0.1:${target.port}/staging)`);
    expect(result.stdout).toContain(`with dump ${rawDump} (pg_dump archive`);
    expect(result.stdout).toContain('obfuscated with 2 rules');
    expect(result.stdout + result.stderr).not.toContain(password);
    expect(await contents()).toEqual(before);
  });

  it('an unknown target, or one whose secret is unset, is one line', async () => {
    expectOneLineError(await home.run(['target', 'refresh', 'nope', '--confirm'], { env: env() }), 4, /no target 'nope' in ditto\.yaml; targets: staging/);
    expectOneLineError(await home.run(['target', 'refresh', 'staging', '--confirm']), 78, /targets\.staging\.url refers to environment variable STAGING_URL, which is not set/);
  });

  it('--confirm replaces everything in the target with the dump, obfuscated', async () => {
    const result = await home.run(['target', 'refresh', 'staging', '--confirm'], { env: env() });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^target staging \(postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/staging\) refreshed from .*pagila\.dump, 2 column\(s\) in 1 table\(s\) obfuscated$/);
    expect(result.stdout + result.stderr).not.toContain(password);
    const after = await contents();
    const sourceTables = (await query<{ t: string }>(source.dsn, `SELECT schemaname || '.' || tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map((r) => r.t);
    expect(after.tables).toEqual(sourceTables);
    const raw = await query<{ customer_id: number; email: string; last_name: string }>(source.dsn, 'SELECT customer_id, email, last_name FROM customer ORDER BY customer_id');
    const scrubbed = after.customers as typeof raw;
    expect(scrubbed.map((c) => c.customer_id)).toEqual(raw.map((c) => c.customer_id));
    // No raw value is left in a scrubbed column, and the rest of the data is the source's.
    const rawEmails = new Set(raw.map((c) => c.email));
    const rawNames = new Set(raw.map((c) => c.last_name));
    expect(scrubbed.filter((c) => rawEmails.has(c.email) || rawNames.has(c.last_name))).toEqual([]);
    expect(scrubbed.every((c) => /^[^@\s]+@[^@\s]+\.[a-z]+$/.test(c.email))).toBe(true);
    const rentals = (sql: string) => query<{ n: number }>(sql, 'SELECT count(*)::int AS n FROM rental').then((r) => r[0]!.n);
    expect(await rentals(staging())).toBe(await rentals(source.dsn));
    // The scratch copy it went through is gone.
    expect((await home.ls(true)).filter((c) => c.label === 'reseed scratch').every((c) => c.status === 'destroyed')).toBe(true);
  });

  it('a corrupt or missing dump, or rules that do not fit, never touch the target', async () => {
    const before = await contents();
    const corrupt = path.join(home.dir, 'corrupt.dump');
    const bytes = fs.readFileSync(rawDump);
    fs.writeFileSync(corrupt, bytes.subarray(0, Math.floor(bytes.length / 2)));
    try {
      home.writeConfig({ ...config, dump: { path: corrupt } });
      expectOneLineError(await home.run(['target', 'refresh', 'staging', '--confirm'], { env: env() }), 65, /corrupt\.dump/);
      home.writeConfig({ ...config, dump: { path: path.join(home.dir, 'missing.dump') } });
      expectOneLineError(await home.run(['target', 'refresh', 'staging', '--confirm'], { env: env() }), 65, /missing\.dump/);
      home.writeConfig({ ...config, obfuscate: { seed: 'fixed-seed', rules: [...RULES, { table: 'customer', column: 'no_such_column', strategy: 'nullify' }] } });
      expectOneLineError(await home.run(['target', 'refresh', 'staging', '--confirm'], { env: env() }), 78, /no_such_column/);
    } finally {
      home.writeConfig(config);
    }
    expect(await contents()).toEqual(before);
  });

  it('a restore cut off halfway (its connection killed) is rolled back whole: the target is as it was', async () => {
    const before = await contents();
    await target.psql('CREATE TABLE marker (id int)', 'staging');
    const marked = await contents();
    const refresh = home.spawn(['target', 'refresh', 'staging', '--confirm'], env());
    // Wait for the restore's session to be at work on the target, then end it from the server's side.
    let killed = false;
    for (let i = 0; i < 1500 && !killed && refresh.exitCode === null; i++) {
      const [row] = await query<{ n: number }>(target.dsn, `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE application_name = 'ditto target refresh' AND datname = 'staging' AND xact_start < now() - interval '150 milliseconds'`);
      killed = row!.n > 0;
      if (!killed) await new Promise((r) => setTimeout(r, 20));
    }
    const result = await refresh;
    expect(killed, 'the restore ended before it could be cut off').toBe(true);
    expect(result.exitCode).toBe(70);
    expect(String(result.stderr)).toMatch(/restoring into the target failed.*the target is as it was/);
    expect(await contents()).toEqual(marked);
    await target.psql('DROP TABLE marker', 'staging');
    expect(await contents()).toEqual(before);
  });

  it('the host route is for admins: 401 without a token, 403 for a caller, 404 for an unknown target', async () => {
    home.writeConfig({ ...config, host: { tokens: [{ name: 'dev', token: 'dev-token-123' }], admin_tokens: [{ name: 'ops', token: 'ops-token-123' }] } });
    const host = await HostProcess.start(home, env());
    try {
      const before = await contents();
      expect((await host.api('POST', '/v2/targets/staging/refresh')).status).toBe(401);
      const forbidden = await host.api('POST', '/v2/targets/staging/refresh', { token: 'dev-token-123', body: {} });
      expect(forbidden.status).toBe(403);
      expect(forbidden.json).toMatchObject({ code: 'FORBIDDEN', error: 'refreshing a target is for admins' });
      expect((await host.api('POST', '/v2/targets/nope/refresh', { token: 'ops-token-123', body: {} })).status).toBe(404);
      const dry = await host.api('POST', '/v2/targets/staging/refresh', { token: 'ops-token-123', body: { dry_run: true } });
      expect(dry.status, dry.text).toBe(200);
      expect(dry.json).toMatchObject({ target: 'staging', dry_run: true, obfuscated: null });
      expect(dry.text).not.toContain(password);
      expect(await contents()).toEqual(before);

      await target.psql('CREATE TABLE marker (id int)', 'staging');
      const done = await host.api('POST', '/v2/targets/staging/refresh', { token: 'ops-token-123', body: {} });
      expect(done.status, done.text).toBe(200);
      expect(done.json).toMatchObject({ target: 'staging', dry_run: false, obfuscated: { tables: 1, columns: 2 } });
      expect((await contents()).tables).toEqual(before.tables);
    } finally {
      await host.stop();
      home.writeConfig(config);
    }
  });
});
