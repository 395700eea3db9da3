import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome } from '../helpers/ditto.js';
import { ENGINE_RUNTIME_CASES, query } from '../helpers/engines.js';
import { leftovers } from '../helpers/leaks.js';

/** Copies with no dump, every engine on every runtime: what a copy is and how it ends does not depend on either. */
describe.each(ENGINE_RUNTIME_CASES)('lifecycle of $name', ({ runtime: name, config, emptyDsn: DSN, scheme, superuser, errors, shellQuery }) => {
  let home: TestHome;

  beforeAll(() => {
    home = new TestHome(config);
  });

  afterAll(async () => {
    await home.cleanup();
  });

  it('up on a pipe prints the connection string alone, to a database that answers', async () => {
    const result = await home.run(['up', '--ttl', '5m']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')).toHaveLength(1);
    const match = DSN.exec(result.stdout);
    expect(match, result.stdout).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThanOrEqual(home.ports.min);
    expect(Number(match![1])).toBeLessThanOrEqual(home.ports.max);
    // No dump configured: one hint on stderr naming the fix.
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('ditto reseed');
    const rows = await query(result.stdout, 'SELECT 1 AS one, current_user AS who');
    // MySQL's current_user is user@host: the user is the engine's superuser on both.
    expect(rows.map((r) => ({ ...r, who: String(r.who).replace(/@.*$/, '') }))).toEqual([{ one: 1, who: superuser }]);
    const [copy] = (await home.ls()).filter((c) => c.port === Number(match![1]));
    expect(copy!.runtime).toBe(name);
  });

  it('up --json describes the copy, connection string included', async () => {
    // Long enough that the copy outlives the suite on a slow machine (later tests count copies).
    const result = await home.run(['up', '--json', '--label', 'json-one', '--ttl', '1h30m']);
    expect(result.exitCode).toBe(0);
    const copy = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(copy).toMatchObject({ status: 'ready', warm: false, runtime: name, label: 'json-one', ttl_seconds: 5400 });
    expect(copy.connection_string).toMatch(DSN);
    expect(Date.parse(copy.expires_at as string) - Date.parse(copy.ready_at as string)).toBe(5_400_000);
    await expect(query(copy.connection_string as string, 'SELECT 2 AS two')).resolves.toEqual([{ two: 2 }]);
  });

  it('up on a terminal shows progress and still prints the connection string', async () => {
    const result = await home.runTty(['up', '--ttl', '5m', '--label', 'tty']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/Copy \w+ ready on port \d+ in [\d.]+s, expires in 5m/);
    const dsn = result.stdout.split('\n').find((line) => DSN.test(line.trim()));
    expect(dsn).toBeDefined();
    await expect(query(dsn!.trim(), 'SELECT 3 AS three')).resolves.toEqual([{ three: 3 }]);
  });

  it('env prints shell-quoted exports that a shell can eval', async () => {
    const shell = await execa('sh', ['-c', `eval "$("${process.execPath}" "$CLI" env --ttl 5m --label env)" && printf '%s\\n%s\\n' "$DATABASE_URL" "$DITTO_COPY_ID"`], {
      env: { ...home.env(), CLI: path.resolve('dist/ditto.cjs') },
      cwd: home.dir,
    });
    const [url, id] = shell.stdout.split('\n');
    expect(url).toMatch(DSN);
    const copies = await home.ls();
    expect(copies.find((c) => c.id === id)?.label).toBe('env');
    await expect(query(url!, 'SELECT 4 AS four')).resolves.toEqual([{ four: 4 }]);
  });

  it('env --shell fish prints set -gx lines', async () => {
    const result = await home.run(['env', '--shell', 'fish', '--label', 'fish']);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^set -gx DATABASE_URL '${scheme}://[^']+';$`));
    expect(lines[1]).toMatch(/^set -gx DITTO_COPY_ID '\w+';$/);
  });

  it('two copies are isolated: a write to one is invisible in the other', async () => {
    const a = await home.up(['--label', 'iso-a']);
    const b = await home.up(['--label', 'iso-b']);
    expect(a).not.toBe(b);
    expect(new URL(a).password).not.toBe(new URL(b).password);
    await query(a, 'CREATE TABLE only_in_a (x int); INSERT INTO only_in_a VALUES (1)');
    await expect(query(a, 'SELECT x FROM only_in_a')).resolves.toEqual([{ x: 1 }]);
    await expect(query(b, 'SELECT x FROM only_in_a')).rejects.toThrow(errors.missingTable);
    // A copy's password is its own: b's password does not open a.
    const crossed = new URL(a);
    crossed.password = new URL(b).password;
    await expect(query(crossed.toString(), 'SELECT 1')).rejects.toThrow(errors.badPassword);
  });

  it('ls lists active copies as a table and as JSON', async () => {
    const table = await home.run(['ls']);
    expect(table.exitCode).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+AGE\s+TTL LEFT\s+PORT\s+SIZE\s+RUNTIME\s+LABEL/);
    const labelled = lines.find((l) => l.includes('iso-a'));
    expect(labelled).toMatch(new RegExp(`^\\w+\\s+ready\\s+\\d+s\\s+\\S+\\s+\\d+\\s+[\\d.]+ [KMG]?i?B\\s+${name}\\s+iso-a`));
    const copies = await home.ls();
    expect(copies.length).toBeGreaterThanOrEqual(6);
    expect(new Set(copies.map((c) => c.port)).size).toBe(copies.length);
    expect(copies.every((c) => c.status === 'ready')).toBe(true);
    expect(JSON.stringify(copies)).not.toMatch(new RegExp(`password|${scheme}://`));
  });

  it('logs shows a copy lifecycle, as text and JSON', async () => {
    const [copy] = await home.ls();
    const text = await home.run(['logs', copy!.id]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/created\s+cli/);
    expect(text.stdout).toMatch(/creating\s+cli\s+port=\d+/);
    expect(text.stdout).toMatch(/ready\s+cli/);
    const json = JSON.parse((await home.run(['logs', copy!.id, '--json'])).stdout) as { action: string }[];
    expect(json.map((e) => e.action)).toEqual(['created', 'creating', 'ready']);
    // An unambiguous prefix works too.
    expect((await home.run(['logs', copy!.id.slice(0, 6)])).stdout).toBe(text.stdout);
  });

  it('status reports runtime, dump, pool, ports and copies, as text and JSON', async () => {
    const text = await home.run(['status']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^runtime\\s+${name} \\(`, 'm'));
    expect(text.stdout).toMatch(/^dump\s+none configured/m);
    expect(text.stdout).toMatch(/^ports\s+\d+ free of \d+-\d+/m);
    const report = JSON.parse((await home.run(['status', '--json'])).stdout) as {
      runtime: { name: string };
      ports: { free: number; min: number; max: number };
      copies: { active: number };
    };
    const active = (await home.ls()).length;
    expect(report.runtime.name).toBe(name);
    expect(report.copies.active).toBe(active);
    expect(report.ports.free).toBe(report.ports.max - report.ports.min + 1 - active);
  });

  it('down by id destroys that copy and leaves no process, port or directory', async () => {
    const dsn = await home.up(['--label', 'doomed']);
    const port = Number(new URL(dsn).port);
    const copy = (await home.ls()).find((c) => c.label === 'doomed')!;
    const result = await home.run(['down', copy.id]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`destroyed ${copy.id}`);
    await expect(query(dsn, 'SELECT 1')).rejects.toThrow();
    const after = (await home.ls(true)).find((c) => c.id === copy.id)!;
    expect(after.status).toBe('destroyed');
    expect((await home.ls()).some((c) => c.id === copy.id)).toBe(false);
    expect(await leftovers(home, [port], [copy.id])).toEqual([]);
    // Destroying it again is not an error: there is nothing left to do.
    const again = await home.run(['down', copy.id]);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('already destroyed');
  });

  it('down --label destroys only the labelled copies', async () => {
    await home.up(['--label', 'batch']);
    await home.up(['--label', 'batch']);
    const before = await home.ls();
    const result = await home.run(['down', '--label', 'batch']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')).toHaveLength(2);
    const after = await home.ls();
    expect(after.some((c) => c.label === 'batch')).toBe(false);
    expect(after).toHaveLength(before.length - 2);
  });

  it('run passes DATABASE_URL and DITTO_COPY_ID, returns the exit code, and destroys the copy', async () => {
    const marker = path.join(home.dir, 'run-env');
    const result = await home.run(['run', '--label', 'run', '--', 'sh', '-c', `printf '%s %s' "$DATABASE_URL" "$DITTO_COPY_ID" > ${marker}; exit 3`]);
    expect(result.exitCode).toBe(3);
    const [url, id] = fs.readFileSync(marker, 'utf8').split(' ');
    expect(url).toMatch(DSN);
    const copy = (await home.ls(true)).find((c) => c.id === id)!;
    expect(copy.status).toBe('destroyed');
    expect(await leftovers(home, [Number(new URL(url!).port)], [id!])).toEqual([]);
  });

  it('run can use the copy with the engine’s own client, and reports success as 0', async () => {
    const result = await home.run(['run', '--', 'sh', '-c', shellQuery('select 40 + 2')]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('42');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('run forwards %s to the command and destroys the copy', async (signal) => {
    const marker = path.join(home.dir, `got-${signal}`);
    const ready = path.join(home.dir, `ready-${signal}`);
    // The command traps the signal, records it, and exits with its own code 7.
    const script = `trap 'echo ${signal} > ${marker}; exit 7' ${signal.slice(3)}; echo "$DITTO_COPY_ID" > ${ready}; while :; do sleep 0.1; done`;
    const child = home.spawn(['run', '--label', `sig-${signal}`, '--', 'sh', '-c', script]);
    await waitFor(() => fs.existsSync(ready) && fs.readFileSync(ready, 'utf8').trim().length > 0);
    const id = fs.readFileSync(ready, 'utf8').trim();
    child.kill(signal);
    const result = await child;
    expect(fs.readFileSync(marker, 'utf8').trim()).toBe(signal);
    expect(result.exitCode).toBe(7);
    const copy = (await home.ls(true)).find((c) => c.id === id)!;
    expect(copy.status).toBe('destroyed');
  });

  it('run exits 128+n when the command dies of signal n', async () => {
    const result = await home.run(['run', '--', 'sh', '-c', 'kill -TERM $$']);
    expect(result.exitCode).toBe(143);
  });

  it('run destroys the copy when the command cannot be started', async () => {
    // The same copies as before; what each owns on disk moves as its server writes.
    const copies = async () => (await home.ls()).map((c) => ({ ...c, disk_bytes: undefined }));
    const before = await copies();
    const result = await home.run(['run', '--', 'no-such-command-ditto']);
    expect(result.exitCode).toBe(127);
    expect(result.stderr.trim().split('\n').at(-1)).toBe('ditto: command not found: no-such-command-ditto');
    expect(await copies()).toEqual(before);
  });

  it('a copy past its TTL is destroyed by the next ditto command', async () => {
    const dsn = await home.up(['--ttl', '1s', '--label', 'short']);
    await new Promise((r) => setTimeout(r, 1500));
    // The next command removes it, unless the background maintainer is already doing so.
    await home.run(['ls']);
    const copy = await waitForValue(async () => (await home.ls(true)).find((c) => c.label === 'short' && c.status === 'destroyed'));
    expect(copy.status).toBe('destroyed');
    await expect(query(dsn, 'SELECT 1')).rejects.toThrow();
  });

  it('down --all leaves nothing running', async () => {
    const ports = (await home.ls()).map((c) => c.port!);
    expect(ports.length).toBeGreaterThan(0);
    const result = await home.run(['down', '--all']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')).toHaveLength(ports.length);
    expect(await home.ls()).toEqual([]);
    expect(await leftovers(home, ports)).toEqual([]);
  });
});

async function waitForValue<T>(get: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitFor(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
