import { describe, expect, it } from 'vitest';
import { DumpUriPolicy, normalizeDumpUri } from '../../src/dump/uri-policy.js';
import { DittoError } from '../../src/errors.js';

describe('normalizeDumpUri', () => {
  it.each([
    ['HTTP://Files.Example:80/dumps/a.dump', 'http://files.example/dumps/a.dump'],
    ['https://files.example:443/dumps/./a.dump', 'https://files.example/dumps/a.dump'],
    ['http://f.example/dumps/x/../a.dump', 'http://f.example/dumps/a.dump'],
    ['http://f.example/dumps/%2e%2e/secret', 'http://f.example/secret'],
    ['http://f.example/dumps/%61%2Ddump%7e', 'http://f.example/dumps/a-dump~'],
    ['http://f.example/dumps/a%2ddump%3f', 'http://f.example/dumps/a-dump%3F'],
    ['http://f.example/dumps/a.dump?sig=1#sha256=ab', 'http://f.example/dumps/a.dump?sig=1#sha256=ab'],
    ['s3://Team-Dumps/dumps/../a.dump', 's3://team-dumps/a.dump'],
    ['http://f.example:8080/d', 'http://f.example:8080/d'],
  ])('%s -> %s', (raw, normal) => {
    expect(normalizeDumpUri(raw)).toBe(normal);
    expect(normalizeDumpUri(normal)).toBe(normal);
  });

  it.each([
    ['http://u:p@f.example/d', /user info/],
    ['http://u@f.example/d', /user info/],
    ['http://f.example/dumps/..%2Fsecret', /encoded slash/],
    ['http://f.example/dumps/a%5Cb', /encoded slash/],
    ['http://f.example/dumps/a%00', /encoded slash/],
    ['s3://bucket:9000/key', /bucket, not a host and port/],
  ])('refuses %s', (raw, why) => {
    expect(() => normalizeDumpUri(raw)).toThrow(why);
  });

  it('says BAD_INPUT for what is no http(s) or s3 URL', () => {
    for (const raw of ['/etc/passwd', 'file:///etc/passwd', 'ftp://f/x', 'http://']) {
      expect(() => normalizeDumpUri(raw)).toThrow(DittoError);
    }
  });
});

describe('DumpUriPolicy', () => {
  const policy = new DumpUriPolicy(['http://files.internal/dumps/', 'S3://Team/Dumps', 'https://cdn.example/one.dump']);

  it.each([
    'http://files.internal/dumps/a.dump',
    'http://FILES.internal:80/dumps/sub/a.dump',
    'http://files.internal/x/../dumps/a.dump',
    's3://team/Dumps/a.dump',
    'https://cdn.example/one.dump',
  ])('allows %s', (uri) => {
    expect(policy.allows(policy.check(uri))).toBe(true);
  });

  it.each([
    'http://files.internal/dumps/../secret',
    'http://files.internal/dumps/%2e%2e/secret',
    'http://files.internal/dumps/.%2e/secret',
    'http://files.internal/dumpsX/a.dump',
    'http://files.internal/dumps',
    'http://files.internal:8080/dumps/a.dump',
    'https://files.internal/dumps/a.dump',
    'http://files.internal.evil.example/dumps/a.dump',
    'http://evil.example/http://files.internal/dumps/a.dump',
    's3://team/dumps/a.dump',
    's3://team2/Dumps/a.dump',
    'https://cdn.example/one.dump.evil',
  ])('refuses %s', (uri) => {
    expect(() => policy.check(uri)).toThrow(/not allowed on this host|refused/);
  });

  it('takes only URIs in their normal form as allowed', () => {
    expect(policy.allows('http://FILES.internal/dumps/a.dump')).toBe(false);
    expect(policy.allows('http://files.internal/dumps/a.dump')).toBe(true);
  });

  it('refuses a prefix it cannot match', () => {
    expect(() => new DumpUriPolicy(['http://files.internal/dumps/?v=1'])).toThrow(/query or fragment/);
    expect(() => new DumpUriPolicy(['not a url'])).toThrow(/not a usable prefix/);
  });

  it('with no prefixes allows nothing', () => {
    expect(() => new DumpUriPolicy([]).check('http://files.internal/dumps/a.dump')).toThrow(expect.objectContaining({ hint: expect.stringMatching(/takes no dump_uri from callers/) }));
  });
});
