import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';
import { leftovers } from '../helpers/leaks.js';
import { maintainerPids } from '../helpers/processes.js';
import { readCopies } from '../helpers/state.js';

describe('bad input gets one clear line, a non-zero exit, and changes nothing', () => {
  let home: TestHome;
  let existing: string;

  beforeAll(async () => {
    home = new TestHome({ runtime: 'local' });
    await home.up(['--label', 'keep']);
    existing = (await home.ls())[0]!.id;
  });

  afterAll(async () => {
    await home.cleanup();
  });

  /** The one copy made in beforeAll is all there is, still ready; no failed records, nothing leaked. */
  async function expectUnchanged(): Promise<void> {
    const all = await home.ls(true);
    expect(all.map((c) => [c.id, c.status])).toEqual([[existing, 'ready']]);
  }

  it.each([['5x'], ['-1m'], ['0'], ['15 minutes'], ['']])('a bad duration %j', async (ttl) => {
    expectOneLineError(await home.run(['up', `--ttl=${ttl}`]), 2, /bad TTL .*90s, 15m, 2h, 1d/);
    await expectUnchanged();
  });

  it('an unknown id, for down and logs', async () => {
    expectOneLineError(await home.run(['down', 'nosuchcopy']), 4, /no copy with id 'nosuchcopy'.*ditto ls/);
    expectOneLineError(await home.run(['logs', 'nosuchcopy']), 4, /no copy with id 'nosuchcopy'/);
    // One bad id among good ones destroys nothing.
    expectOneLineError(await home.run(['down', existing, 'nosuchcopy']), 4, /nosuchcopy/);
    await expectUnchanged();
  });

  it('down with nothing named', async () => {
    expectOneLineError(await home.run(['down']), 2, /ids, --all, --label L, --run-id ID or --name NAME \(one of them\)/);
    await expectUnchanged();
  });

  it('an unknown command or flag', async () => {
    expectOneLineError(await home.run(['upp']), 2, /Unknown argument: upp/);
    expectOneLineError(await home.run(['up', '--tll', '5m']), 2, /Unknown argument/);
    expectOneLineError(await home.run(['env', '--shell', 'zsh']), 2, /^ditto: Invalid values: Argument: shell, Given: "zsh", Choices: "sh", "fish"; see ditto --help$/);
  });

  it('a missing dump file', async () => {
    expectOneLineError(await home.run(['up', '--dump', path.join(home.dir, 'missing.dump')]), 65, /dump file .*missing\.dump does not exist/);
    await expectUnchanged();
  });

  it('a corrupt custom-format dump is caught before anything starts', async () => {
    const corrupt = path.join(home.dir, 'corrupt.dump');
    fs.writeFileSync(corrupt, Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(200, 7)]));
    expectOneLineError(await home.run(['up', '--dump', corrupt]), 65, /corrupt\.dump is corrupt/);
    await expectUnchanged();
  });

  it('a binary file that is no dump', async () => {
    const junk = path.join(home.dir, 'junk.bin');
    fs.writeFileSync(junk, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1]));
    expectOneLineError(await home.run(['up', '--dump', junk]), 65, /neither a pg_dump custom archive nor SQL text/);
    await expectUnchanged();
  });

  it('a SQL dump that fails to restore: the copy is failed, and its server and port are gone', async () => {
    const broken = path.join(home.dir, 'broken.sql');
    fs.writeFileSync(broken, 'CREATE TABLE ok (x int);\nTHIS IS NOT SQL;\n');
    const result = await home.run(['up', '--dump', broken]);
    expectOneLineError(result, 65, /restoring .*broken\.sql failed: .*syntax error/);
    // The dump is restored once, into the builder of its golden snapshot: that is what failed.
    const failed = readCopies(home, { builders: true }).filter((c) => c.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error_message).toMatch(/syntax error/);
    expect(await leftovers(home, [failed[0]!.port!], [failed[0]!.id])).toEqual([]);
    // The copy that was there is untouched.
    expect((await home.ls()).map((c) => c.id)).toEqual([existing]);
  });
});

describe('configuration errors name the key and what was expected', () => {
  let home: TestHome;

  beforeAll(() => {
    home = new TestHome();
  });

  afterAll(async () => {
    await home.cleanup();
  });

  it.each([
    [{ pol: { size: 1 } }, /unknown key 'pol'/],
    [{ pool: { sise: 1 } }, /unknown key 'pool\.sise'/],
    [{ pool: { size: 'two' } }, /pool\.size: expected number/],
    [{ ttl: '15 minutes' }, /ttl: expected a duration like 90s, 15m, 2h, 1d; got '15 minutes'/],
    [{ runtime: 'kubernetes' }, /runtime: expected one of "auto", "local", "docker"/],
    [{ ports: { min: 6000, max: 5000 } }, /ports: min must not be above max/],
  ])('%j', async (config, pattern) => {
    home.writeConfig(config);
    for (const command of [['up'], ['ls'], ['status']]) {
      expectOneLineError(await home.run(command), 78, pattern);
    }
    expect(fs.existsSync(path.join(home.dir, 'copies'))).toBe(false);
  });

  it('environment overrides are validated the same way', async () => {
    home.writeConfig({});
    expectOneLineError(await home.run(['ls'], { env: { DITTO_POOL_SIZE: 'lots' } }), 78, /pool\.size: expected number/);
    expectOneLineError(await home.run(['ls'], { env: { DITTO_TTL: '3 weeks' } }), 78, /ttl: expected a duration/);
  });

  it('a missing --config file', async () => {
    expectOneLineError(await home.run(['ls', '--config', path.join(home.dir, 'nope.yaml')]), 78, /config file .*nope\.yaml does not exist/);
  });

  it('invalid YAML', async () => {
    fs.writeFileSync(home.configFile, 'pool: [unclosed\n');
    expectOneLineError(await home.run(['ls']), 78, /invalid YAML/);
  });
});

describe('an exhausted port range', () => {
  let home: TestHome;
  let holder: net.Server;

  beforeAll(async () => {
    home = new TestHome({ runtime: 'local' }, { portCount: 2 });
    // Another program holds the range's first port; one copy takes the second.
    holder = net.createServer().listen(home.ports.min, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
  });

  afterAll(async () => {
    holder.close();
    await home.cleanup();
  });

  it('skips the port held by another program, then says the range is used up', async () => {
    const dsn = await home.up();
    expect(Number(new URL(dsn).port)).toBe(home.ports.max);
    const result = await home.run(['up']);
    expectOneLineError(result, 75, new RegExp(`no free port in ${home.ports.min}-${home.ports.max} \\(1 leased by ditto, 1 held by other programs\\).*ditto down`));
    const copies = await home.ls(true);
    expect(copies.map((c) => c.status)).toEqual(['ready']);
    await home.run(['down', '--all']);
    expect(await leftovers(home, [home.ports.max])).toEqual([]);
  });
});

describe('a bad up with a warm pool configured', () => {
  let home: TestHome;

  beforeAll(() => {
    home = new TestHome({ runtime: 'local', pool: { size: 2 } });
  });

  afterAll(async () => home.cleanup());

  it('sets nothing filling: no demand, no warm copy, no maintainer left running', async () => {
    expectOneLineError(await home.run(['up', '--dump', home.dir]), 65, /is not a file/);
    // Long enough for a maintainer it started to have begun a warm copy.
    await new Promise((r) => setTimeout(r, 2000));
    expect(readCopies(home)).toEqual([]);
    expect(maintainerPids(home.dir)).toEqual([]);
  });
});
