import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigCached } from '../../src/config/cached-load.js';
import type { DittoError } from '../../src/errors.js';

describe('the config cache', () => {
  let home: string;
  let file: string;
  const cacheFile = () => path.join(home, 'cache', 'config.json');
  const load = (env: NodeJS.ProcessEnv = {}) => loadConfigCached({ home, configPath: file, env });

  /** Rewrites the cached entry's ttl, so a later load shows whether it came from the cache. */
  function tamperCachedTtl(ttl: number): void {
    const entries = JSON.parse(fs.readFileSync(cacheFile(), 'utf8')) as Record<string, { config: { ttl: number } }>;
    for (const entry of Object.values(entries)) entry.config.ttl = ttl;
    fs.writeFileSync(cacheFile(), JSON.stringify(entries));
  }

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-config-cache-'));
    file = path.join(home, 'ditto.yaml');
    fs.writeFileSync(file, 'ttl: 5m\ndump:\n  path: prod.dump\n');
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('serves the validated config back while file and variables are unchanged, privately', async () => {
    const first = await load();
    expect(first.config.ttl).toBe(300);
    expect(first.config.dump.path).toBe(path.join(home, 'prod.dump'));
    expect(fs.statSync(cacheFile()).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(cacheFile())).mode & 0o777).toBe(0o700);

    tamperCachedTtl(42);
    const second = await load();
    expect(second.config.ttl).toBe(42);
    expect(second).toMatchObject({ file, home });
  });

  it('reads the file afresh once it changed, or a DITTO_* variable did', async () => {
    await load();
    tamperCachedTtl(42);
    expect((await load({ DITTO_TTL: '2h' })).config.ttl).toBe(7200);
    // Variables that steer ditto itself are not part of the config, nor of the key.
    tamperCachedTtl(42);
    expect((await load({ DITTO_TTL: '2h', DITTO_DEBUG: '1' })).config.ttl).toBe(42);

    fs.writeFileSync(file, 'ttl: 10m\n');
    expect((await load()).config.ttl).toBe(600);
  });

  it('never hides a config that became invalid', async () => {
    await load();
    fs.writeFileSync(file, 'ttl: soon\n');
    await expect(load()).rejects.toMatchObject({ code: 'CONFIG' } satisfies Partial<DittoError>);
  });

  it('treats an unreadable cache as none, and does not make a home that does not exist', async () => {
    await load();
    fs.writeFileSync(cacheFile(), '{not json');
    expect((await load()).config.ttl).toBe(300);
    expect(JSON.parse(fs.readFileSync(cacheFile(), 'utf8'))).toBeTypeOf('object');

    const missingHome = path.join(home, 'not-yet');
    const loaded = await loadConfigCached({ home: missingHome, configPath: file, env: {} });
    expect(loaded.config.ttl).toBe(300);
    expect(fs.existsSync(missingHome)).toBe(false);
  });
});
