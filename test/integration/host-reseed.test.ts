import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { query } from '../helpers/pg.js';
import { ReferenceServer } from '../helpers/reference-pg.js';
import { waitFor } from '../helpers/state.js';

/** The host's scheduled reseed: on its cron expression it dumps source.url, as `ditto reseed` would. */
describe('ditto host reseeds on its schedule', () => {
  const TOKEN = 'reseed-caller-token-0123';
  let home: TestHome;
  let source: ReferenceServer;
  let host: HostProcess;

  beforeAll(async () => {
    home = new TestHome({}, { portCount: 8 });
    // The source holds the range's top port; copies get the rest.
    source = new ReferenceServer(home.ports.max);
    await source.start();
    await query(source.dsn, 'CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 42)');
    home.writeConfig({
      ports: { min: home.ports.min, max: home.ports.max - 1 },
      source: { url: source.dsn },
      host: { tokens: [{ name: 'ci', token: TOKEN }], reseed_cron: '* * * * * *' },
    });
    host = await HostProcess.start(home);
  });

  afterAll(async () => {
    if (host?.child.exitCode === null) await host.stop();
    await source.stop();
    await home.cleanup();
  });

  it('writes the dump when due, and copies made through the host have the source data', async () => {
    await waitFor(() => host.logLines.some((l) => l.includes('scheduled reseed done')), 'a scheduled reseed', 20_000);
    expect(fs.readdirSync(path.join(home.dir, 'dumps'))).toContain('default.dump');
    expect((await host.api('GET', '/metrics')).text).toMatch(/^ditto_reseeds_total\{result="ok"\} [1-9]\d*$/m);
    const res = await host.api('POST', '/v2/copies', { token: TOKEN, body: { ttl_seconds: 300 } });
    expect(res.status, res.text).toBe(201);
    await expect(query(res.json.connection_string, 'SELECT count(*)::int AS n FROM orders')).resolves.toEqual([{ n: 42 }]);
    // The source's password never reaches the log (it has none here, but the URL is masked all the same).
    expect(host.logLines.join('\n')).not.toContain(source.dsn);
  });
});
