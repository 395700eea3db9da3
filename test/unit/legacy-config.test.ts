import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { translateLegacy } from '../../src/config/legacy.js';
import { configFrom } from '../../src/config/load.js';

/** The established ditto's (Go, v0.4) ditto.yaml, as its users have it. */
const ESTABLISHED = `
copy_ttl_seconds: 5400
port_pool_start: 6000
port_pool_end: 6099
warm_pool_size: 3
copy_image: postgres:16
dump:
  path: ./prod.dump
  schedule: "0 3 * * *"
server:
  addr: 0.0.0.0:8080
  advertise_host: ditto.internal
  auth:
    static_token: env:DITTO_STATIC
obfuscation:
  rules:
    - { table: users, column: email, strategy: replace, with: email }
    - { table: users, column: card, strategy: mask, mask_char: "#", keep_last: 4 }
    - { table: users, column: note, strategy: redact, with: "[gone]", warn_only: true }
`;

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

function writeTemp(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-legacy-'));
  made.push(dir);
  const file = path.join(dir, 'ditto.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe("the established ditto's config", () => {
  it('is accepted, each old key moved onto the new one with a line naming it', () => {
    const file = writeTemp(ESTABLISHED);
    const { config, notices } = configFrom(file, {});
    expect(config.ttl).toBe(5400);
    expect(config.ports).toEqual({ min: 6000, max: 6099 });
    expect(config.pool.size).toBe(3);
    expect(config.copy_image).toBe('postgres:16');
    expect(config.host).toMatchObject({ listen: '0.0.0.0', port: 8080, advertise_host: 'ditto.internal', reseed_cron: '0 3 * * *', tokens: [{ name: 'static', token: 'env:DITTO_STATIC' }] });
    expect(config.obfuscate.rules).toEqual([
      { table: 'users', column: 'email', strategy: 'replace', type: 'email' },
      { table: 'users', column: 'card', strategy: 'mask', char: '#', keep: 4 },
      { table: 'users', column: 'note', strategy: 'redact', value: '[gone]', warn_only: true },
    ]);
    expect(notices).toEqual([
      "ditto.yaml: copy_ttl_seconds is the established ditto's key: write ttl (ditto init --migrate rewrites the file)",
      "ditto.yaml: port_pool_start is the established ditto's key: write ports.min (ditto init --migrate rewrites the file)",
      "ditto.yaml: port_pool_end is the established ditto's key: write ports.max (ditto init --migrate rewrites the file)",
      "ditto.yaml: warm_pool_size is the established ditto's key: write pool.size (ditto init --migrate rewrites the file)",
      "ditto.yaml: dump.schedule is the established ditto's key: write host.reseed_cron (ditto init --migrate rewrites the file)",
      "ditto.yaml: server.addr is the established ditto's key: write host.listen and host.port (ditto init --migrate rewrites the file)",
      "ditto.yaml: server.advertise_host is the established ditto's key: write host.advertise_host (ditto init --migrate rewrites the file)",
      "ditto.yaml: server.auth.static_token is the established ditto's key: write host.tokens: [{name, token}] (ditto init --migrate rewrites the file)",
      "ditto.yaml: obfuscation.rules is the established ditto's key: write obfuscate.rules (with: type or value, mask_char: char, keep_last: keep) (ditto init --migrate rewrites the file)",
    ]);
  });

  it('unknown keys stay errors, old-looking or not', () => {
    expect(() => configFrom(writeTemp('server:\n  addr: :8080\n  read_timeout: 5\n'), {})).toThrow(/unknown key 'server'/);
    expect(() => configFrom(writeTemp('warm_pool_sizes: 3\n'), {})).toThrow(/unknown key 'warm_pool_sizes'/);
    expect(() => configFrom(writeTemp('server:\n  addr: nonsense\n'), {})).toThrow(/server.addr: expected HOST:PORT/);
  });

  it('a new key given beside its old one wins, and durations like 1h30m are taken', () => {
    const raw = { copy_ttl_seconds: 60, ttl: '1h30m' };
    expect(translateLegacy(raw)).toHaveLength(1);
    expect(raw).toEqual({ ttl: '1h30m' });
    expect(configFrom(writeTemp('ttl: 1h30m\nmax_ttl: 2h15m30s\n'), {}).config).toMatchObject({ ttl: 5400, max_ttl: 8130 });
  });
});
