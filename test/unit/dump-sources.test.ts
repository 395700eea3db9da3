import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validate } from '../../src/config/load.js';
import { DumpCache } from '../../src/dump/dump-cache.js';
import { maskUrl, resolveSecret } from '../../src/config/secrets.js';
import { splitPassword } from '../../src/engines/postgres/source-url.js';

describe('secrets in source URLs', () => {
  it('masks a password in the user part or a parameter, and nothing else', () => {
    expect(maskUrl('postgresql://app:s3cret@db.internal:5432/prod?sslmode=require')).toBe('postgresql://app:***@db.internal:5432/prod?sslmode=require');
    expect(maskUrl('postgresql://app@127.0.0.1/prod?password=s3cret')).toBe('postgresql://app@127.0.0.1/prod?password=***');
    expect(maskUrl('https://127.0.0.1/d.dump?X-Amz-Signature=abc')).toBe('https://127.0.0.1/d.dump?X-Amz-Signature=***');
    expect(maskUrl('host=127.0.0.1 password=s3cret')).toBe('host=127.0.0.1 password=***');
  });

  it('splits the password out of the URL, for the environment of the dump tool', () => {
    expect(splitPassword('postgresql://app:p%40ss@127.0.0.1:5432/prod')).toEqual({ url: 'postgresql://app@127.0.0.1:5432/prod', password: 'p@ss' });
    expect(splitPassword('postgres://app@127.0.0.1/prod?password=x&sslmode=disable')).toEqual({ url: 'postgres://app@127.0.0.1/prod?sslmode=disable', password: 'x' });
    expect(splitPassword('postgresql://127.0.0.1/prod')).toEqual({ url: 'postgresql://127.0.0.1/prod', password: null });
    expect(() => splitPassword('mysql://u:pw@127.0.0.1/db')).toThrow(/mysql:\/\/u:\*\*\*@127\.0\.0\.1\/db is not a postgresql:\/\/ URL/);
  });

  it('resolves env: and file: references at use', () => {
    process.env.DITTO_UNIT_SECRET = 'from-env';
    expect(resolveSecret('env:DITTO_UNIT_SECRET', 'source.url')).toBe('from-env');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-unit-'));
    const file = path.join(dir, 'secret');
    fs.writeFileSync(file, 'from-file\nsecond line\n');
    try {
      expect(resolveSecret(`file:${file}`, 'source.url')).toBe('from-file');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(resolveSecret('postgresql://x', 'source.url')).toBe('postgresql://x');
    expect(() => resolveSecret('env:DITTO_UNIT_UNSET', 'source.url')).toThrow(/DITTO_UNIT_UNSET, which is not set/);
  });
});

describe('dump download settings', () => {
  it('sizes accept units and bytes, and default to 20 GiB / 50 GiB', () => {
    expect(validate({}, 't').dump.max_download_bytes).toBe(20 * 2 ** 30);
    expect(validate({ dump: { max_download_bytes: '500MB', cache_max_bytes: '1.5GiB' } }, 't').dump).toMatchObject({ max_download_bytes: 500e6, cache_max_bytes: 1.5 * 2 ** 30 });
    expect(validate({ dump: { max_download_bytes: 1024 } }, 't').dump.max_download_bytes).toBe(1024);
    expect(() => validate({ dump: { max_download_bytes: '5 parsecs' } }, 't')).toThrow(/dump\.max_download_bytes: expected a size like 500MB/);
  });

  it('obfuscation rules are checked for their strategy and its options', () => {
    const rules = validate({ obfuscate: { rules: [{ table: 't', column: 'c', strategy: 'mask' }] } }, 't').obfuscate.rules;
    expect(rules).toEqual([{ table: 't', column: 'c', strategy: 'mask', keep: 4, char: '*' }]);
    expect(() => validate({ obfuscate: { rules: [{ table: 't', column: 'c', strategy: 'replace', type: 'shoe_size' }] } }, 't')).toThrow(/obfuscate\.rules\.0\.type/);
    expect(() => validate({ obfuscate: { rules: [{ table: 't', column: 'c', strategy: 'scramble' }] } }, 't')).toThrow(/obfuscate\.rules\.0/);
  });
});

describe('the download cache', () => {
  it('drops the least recently used dumps past its size, never the one just admitted, and abandoned parts', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-cache-'));
    const cache = new DumpCache(home, 250);
    const put = (name: string, ageSeconds: number) => {
      const part = cache.newPart();
      fs.writeFileSync(part, Buffer.alloc(100, name));
      const file = cache.admit(part, name.repeat(64));
      const at = new Date(Date.now() - ageSeconds * 1000);
      fs.utimesSync(file, at, at);
      return file;
    };
    put('a', 300);
    put('b', 200);
    expect(cache.get('a'.repeat(64))).not.toBeNull(); // used now: b is the least recent
    const stale = cache.newPart();
    fs.utimesSync(stale, new Date(0), new Date(0));
    put('c', 0);
    expect(fs.readdirSync(cache.dir).sort()).toEqual(['a'.repeat(64) + '.dump', 'c'.repeat(64) + '.dump']);
    fs.rmSync(home, { recursive: true, force: true });
  });
});
