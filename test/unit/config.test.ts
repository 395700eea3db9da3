import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyEnvOverrides, loadConfig, validate } from '../../src/config/load.js';
import { DittoError } from '../../src/errors.js';

function errorOf(fn: () => unknown): DittoError {
  try {
    fn();
  } catch (err) {
    return err as DittoError;
  }
  throw new Error('expected an error');
}

describe('config', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-config-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('has defaults that need no file', () => {
    const config = validate({}, 'test');
    expect(config.engine).toBeUndefined();
    expect(config).toMatchObject({ runtime: 'auto', ttl: 3600, ports: { min: 5433, max: 5600 }, pool: { size: 2, idle_ttl: 3600 } });
    expect(config.dump.path).toBeUndefined();
  });

  it('turns durations into seconds', () => {
    expect(validate({ ttl: '15m', pool: { idle_ttl: '2h' }, dump: { stale_threshold: '1d' } }, 't')).toMatchObject({
      ttl: 900,
      pool: { idle_ttl: 7200 },
      dump: { stale_threshold: 86400 },
    });
  });

  it.each([
    [{ nope: 1 }, "t: unknown key 'nope'"],
    [{ local: { bindir: '/x' } }, "t: unknown key 'local.bindir'"],
    [{ ports: { min: 'low' } }, 't: ports.min: expected number'],
    [{ ports: { min: 0 } }, 't: ports.min: expected at least 1'],
    [{ pool: { size: 1.5 } }, 't: pool.size: expected int'],
    [{ engine: 'oracle' }, 't: engine: expected one of "postgres", "mysql", "mariadb"'],
  ])('%j fails with a message naming the key', (raw, message) => {
    const err = errorOf(() => validate(raw, 't'));
    expect(err.code).toBe('CONFIG');
    expect(err.message).toBe(message);
  });

  it('maps DITTO_* variables onto keys, numbers converted for numeric keys', () => {
    const raw: Record<string, unknown> = { pool: { size: 5 } };
    applyEnvOverrides(raw, { DITTO_RUNTIME: 'local', DITTO_POOL_SIZE: '0', DITTO_PORTS_MAX: '6000', DITTO_DUMP_PATH: '/d.dump', DITTO_COPY_ID: 'x', DITTO_UNRELATED: 'y' });
    expect(raw).toEqual({ runtime: 'local', pool: { size: 0 }, ports: { max: 6000 }, dump: { path: '/d.dump' } });
  });

  it('true and false for boolean keys; anything else is left for the schema to refuse', () => {
    const raw: Record<string, unknown> = {};
    applyEnvOverrides(raw, { DITTO_DUMP_GOLDEN: 'false', DITTO_DOCKER_NETWORK: 'host', DITTO_S3_FORCE_PATH_STYLE: 'TRUE' });
    expect(raw).toMatchObject({ dump: { golden: false }, docker: { network: 'host' } });
    expect(validate(raw, 'environment').dump.golden).toBe(false);
    const bad: Record<string, unknown> = {};
    applyEnvOverrides(bad, { DITTO_DUMP_GOLDEN: 'nope' });
    expect(() => validate(bad, 'environment')).toThrow(/dump.golden: expected boolean/);
  });

  it('searches ./ditto.yaml before the home, and resolves a relative dump path against the file', () => {
    const cwd = tempDir();
    const home = tempDir();
    fs.writeFileSync(path.join(home, 'ditto.yaml'), 'ttl: 1h\n');
    fs.writeFileSync(path.join(cwd, 'ditto.yaml'), 'ttl: 5m\ndump:\n  path: data/prod.dump\n');
    const loaded = loadConfig({ cwd, home, env: {} });
    expect(loaded.file).toBe(path.join(cwd, 'ditto.yaml'));
    expect(loaded.config.ttl).toBe(300);
    expect(loaded.config.dump.path).toBe(path.join(cwd, 'data/prod.dump'));
    fs.rmSync(path.join(cwd, 'ditto.yaml'));
    expect(loadConfig({ cwd, home, env: {} }).config.ttl).toBe(3600);
  });

  it('lets the environment override the file', () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'ditto.yaml'), 'ttl: 5m\n');
    expect(loadConfig({ cwd, home: tempDir(), env: { DITTO_TTL: '2h' } }).config.ttl).toBe(7200);
  });
});
