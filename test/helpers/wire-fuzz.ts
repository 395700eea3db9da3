import fc from 'fast-check';

/**
 * Requests to throw at a `ditto host` (DESIGN section 13, "Fuzz the wire"): methods, paths, headers,
 * bearers and bodies from valid through near-valid to garbage. What only the run knows (the ids
 * of copies made so far, the tokens, the OIDC issuer) is named symbolically here and filled in
 * when the request is sent (./wire-session.ts), so a seed describes the same requests every run.
 */

/** A copy id in a path: one made during the run (the `known`-th, when there is one), else `fake`. */
export interface IdRef {
  fake: string;
  known: number | null;
}

export type Segment = string | IdRef;
type Path = readonly Segment[];

/** A bearer: one of the run's tokens (by name), perhaps altered near-miss, or literal text. */
export type TokenSpec = { name: string; mutate?: { kind: 'flip' | 'append' | 'truncate' | 'case'; at: number } } | { literal: string };

export interface WireRequest {
  method: string;
  /** Joined with '/' after `prefix`; then `suffix` (query, fragment, trailing slash). */
  segments: Path;
  prefix: string;
  suffix: string;
  /** The Authorization header(s): scheme + token + trailer; null sends none, two send it twice. */
  auth: { scheme: string; token: TokenSpec; trailer: string }[] | null;
  headers: Record<string, string>;
  /** Bytes; `$ISSUER` and `$AUDIENCE` are replaced in the JWT-looking bearers only. */
  body: Uint8Array | null;
  /** How the body's length is declared: truly, chunked, or a lie (fewer or more bytes than sent). */
  length: 'exact' | 'chunked' | 'short' | 'long';
}

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
const percent = (data: Uint8Array): string => [...data].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
/** Characters Node.js sends in a request line or header value as they are: no controls, no space. */
const LATIN1 = fc.integer({ min: 0x21, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c));
const ASCII = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
/** Mostly printable ASCII: a byte above 0x7e in a request line or header is refused by Node.js's parser before the host sees it. */
function visible(maxLength: number, except = '', minLength = 0): fc.Arbitrary<string> {
  const text = (unit: fc.Arbitrary<string>) => fc.string({ unit: unit.filter((c) => !except.includes(c)), minLength, maxLength });
  return fc.oneof({ weight: 9, arbitrary: text(ASCII) }, text(LATIN1));
}
const CONTROL = fc.integer({ min: 0, max: 0x9f }).filter((c) => c < 0x20 || c >= 0x7f).map((c) => String.fromCharCode(c));

/** Text a caller might put in a field: plain, any code point (lone surrogates too), control characters, long. */
const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.oneof(CONTROL, fc.constantFrom('a', ' ', '\u202e', '\u2028', '\ufeff')), maxLength: 12 }),
  fc.integer({ min: 200, max: 5000 }).map((n) => 'x'.repeat(n)),
);

/** Something in the place of an id: id-like, dot segments, encodings (broken ones too), injection, long. */
const fakeId = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z0-9]{1,24}$/) },
  fc.constantFrom('', '.', '..', '%2e%2e', '%2E', '%2F', '..%2F..%2Fetc', '%00', '%', '%zz', '%C0%AF', '%E2%80%AE', '%FF', '__proto__', 'constructor', '*', '-1', "x'--", '%22%3B%20DROP%20DATABASE%20postgres%3B--'),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => percent(bytes(s))),
  fc.uint8Array({ maxLength: 12 }).map(percent),
  visible(20, '/?#%', 1),
  fc.integer({ min: 200, max: 20_000 }).map((n) => 'a'.repeat(n)),
);

const id: fc.Arbitrary<IdRef> = fc.record({ fake: fakeId, known: fc.option(fc.nat(), { freq: 2 }) });

const OTHER_METHODS = fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'PURGE', 'QUERY', 'FOO', 'M-SEARCH', 'G3T');

/** A route's path with, mostly, a method it serves; sometimes any other. */
function route(path: fc.Arbitrary<Path>, ...methods: string[]): fc.Arbitrary<{ segments: Path; method: string }> {
  return fc.record({ segments: path, method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...methods) }, OTHER_METHODS) });
}

const target = fc.oneof(
  { weight: 3, arbitrary: route(fc.constant(['v2', 'copies']), 'GET', 'POST') },
  { weight: 3, arbitrary: route(id.map((i) => ['v2', 'copies', i]), 'GET', 'PATCH', 'DELETE') },
  route(id.map((i) => ['v2', 'copies', i, 'reset']), 'POST'),
  route(id.map((i) => ['v2', 'copies', i, 'databases']), 'POST'),
  route(fc.tuple(id, fakeId).map(([i, db]) => ['v2', 'copies', i, 'databases', db]), 'DELETE'),
  route(id.map((i) => ['v2', 'copies', i, 'events']), 'GET'),
  route(fakeId.map((name) => ['v2', 'targets', name, 'refresh']), 'POST'),
  route(fc.constantFrom(['v2', 'status'], ['v2', 'oidc'], ['v2', 'ca.pem'], ['healthz'], ['metrics']), 'GET'),
  route(fc.oneof(fc.constantFrom(['v1', 'copies'], ['V2', 'copies'], ['v2'], []), fc.array(fakeId, { maxLength: 5 })), 'GET', 'POST'),
);

const prefix = fc.oneof({ weight: 6, arbitrary: fc.constant('/') }, fc.constantFrom('//', '/./', '/v2/../', '/%2e%2e/', 'http://h/', '/../../'));
const suffix = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  fc.constantFrom('/', '?all=true', '?all=1', '?all=no', '?all=%00', '?all=true&all=false', '#x', '?', '//'),
  visible(30, '#').map((q) => `?${q}`),
);

/** base64url of a JSON value: the pieces of a JWT-looking bearer. */
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwtHeader = fc.oneof(
  fc.constantFrom({ alg: 'none' }, { alg: 'RS256', kid: 'k1' }, { alg: 'RS256', kid: 'unknown' }, { alg: 'HS256', kid: 'k1' }, { alg: 'ES256' }, { alg: 'RS256', jku: 'http://127.0.0.1:9/keys' }, { alg: 'RS256', crit: ['x'], x: 1 }),
  fc.jsonValue({ maxDepth: 2 }),
);
const jwtPayload = fc.oneof(
  fc.record({
    iss: fc.constantFrom('$ISSUER', 'https://evil.example', ''),
    aud: fc.constantFrom('$AUDIENCE', ['$AUDIENCE', 'x'], 'x'),
    exp: fc.oneof(fc.integer(), fc.constant(4_000_000_000), fc.constant('soon')),
    repository: fc.oneof(fc.constant('org/fuzz'), text),
    repository_owner: fc.constantFrom('org', 'other'),
    role: fc.constantFrom('ops', 'dev'),
  }, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 2 }),
);
const jwtLike = fc.oneof(
  fc.tuple(jwtHeader, jwtPayload, fc.base64String({ maxLength: 80 })).map(([h, p, s]) => `${b64(h)}.${b64(p)}.${s.replace(/=+$/, '')}`),
  fc.constantFrom('a.b', '...', 'a.b.c.d.e', 'eyJ.eyJ.', '.'.repeat(3000)),
);

function tokenSpec(names: string[]): fc.Arbitrary<TokenSpec> {
  const name = fc.constantFrom(...names);
  return fc.oneof(
    { weight: 6, arbitrary: name.map((n) => ({ name: n })) },
    { weight: 2, arbitrary: fc.record({ name, mutate: fc.record({ kind: fc.constantFrom('flip', 'append', 'truncate', 'case'), at: fc.nat() }) }) },
    fc.record({ literal: fc.oneof(jwtLike, visible(60), fc.constant(''), fc.integer({ min: 1000, max: 20_000 }).map((n) => 't'.repeat(n))) }),
  );
}

function auth(names: string[]): fc.Arbitrary<WireRequest['auth']> {
  const one = fc.record({
    scheme: fc.oneof({ weight: 16, arbitrary: fc.constant('Bearer ') }, fc.constantFrom('bearer ', 'BEARER ', 'Bearer  ', 'Bearer\t', 'Basic ', 'Token ', '', 'Bearer', ' Bearer ')),
    token: tokenSpec(names),
    trailer: fc.oneof({ weight: 8, arbitrary: fc.constant('') }, fc.constantFrom(' ', '\t', ' extra', ', Bearer x')),
  });
  return fc.oneof(fc.constant(null), { weight: 10, arbitrary: one.map((a) => [a]) }, fc.tuple(one, one));
}

const headers: fc.Arbitrary<Record<string, string>> = fc
  .tuple(
    fc.option(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', ''), { freq: 3 }),
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(null) },
      fc.constantFrom<Record<string, string>>(
        { expect: '100-continue' },
        { connection: 'close' },
        { connection: 'keep-alive' },
        { connection: 'upgrade', upgrade: 'websocket' },
        { 'transfer-encoding': 'chunked' },
        { 'transfer-encoding': 'gzip, chunked' },
        { 'content-encoding': 'gzip' },
        { host: '' },
        { host: 'evil.example:1' },
        { 'x-forwarded-for': '10.0.0.1' },
      ),
    ),
    fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), visible(40), { maxKeys: 2 }),
  )
  .map(([contentType, special, extra]) => ({ ...extra, ...(contentType !== null ? { 'content-type': contentType } : {}), ...(special ?? {}) }));

const ttl = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 600 }) },
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 366 * 86400, 366 * 86400 + 1, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 1e21, -0, 0.5),
  fc.string({ maxLength: 10 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.nat(), { maxLength: 2 }),
);
const field = fc.oneof({ weight: 4, arbitrary: text }, fc.constant(null), fc.integer(), fc.boolean(), fc.jsonValue({ maxDepth: 1 }));
const dumpUri = fc.oneof(
  fc.constantFrom('http://127.0.0.1:9/x.sql', 's3://bucket/x.sql', 'HTTP://127.0.0.1:9/%00', 'http://[::1]:9/x', 'file:///etc/passwd', '/etc/passwd', '../dump.sql', ''),
  text,
);
/** Shapes of POST /v2/copies (and of PATCH's ttl_seconds and a refresh's dry_run), each field valid or not. */
const shape = fc
  .tuple(
    fc.record(
      { ttl_seconds: ttl, run_id: field, job_name: field, label: field, dump_uri: dumpUri, obfuscate: fc.oneof(fc.boolean(), fc.constant(null), fc.constantFrom('true', 1)), dry_run: fc.oneof(fc.boolean(), fc.constant('yes')) },
      { requiredKeys: [] },
    ),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString')), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }),
  )
  .map(([known, extra]) => JSON.stringify({ ...Object.fromEntries(Object.entries(extra)), ...known }));

/** JSON texts JSON.stringify cannot write: number edge cases, prototype keys, deep nesting. */
const rawJson = fc.oneof(
  fc.constantFrom('1e309', '-1e309', '-0', '1e-400', '123456789012345678901234567890', '0x10', '01', '.5', 'NaN', 'Infinity', '"60"', '60.0', '6e1').map((n) => `{"ttl_seconds": ${n}}`),
  fc.constantFrom('{"__proto__": {"admin": true}, "ttl_seconds": 60}', '{"constructor": {"prototype": {"admin": true}}}', '{"ttl_seconds": 60, "ttl_seconds": "x"}', '{"label": "\\ud800"}', '{"label": "a\\u0000b"}', 'null', '[]', '""', 'true', '{}'),
  fc.integer({ min: 100, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 100, max: 10_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
);

const body: fc.Arbitrary<Uint8Array | null> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 5, arbitrary: shape.map(bytes) },
  { weight: 2, arbitrary: shape.chain((s) => fc.tuple(fc.nat(s.length), fc.string({ maxLength: 3 })).map(([at, junk]) => bytes(s.slice(0, at) + junk))) },
  rawJson.map(bytes),
  fc.jsonValue().map((v) => bytes(JSON.stringify(v) ?? '')),
  fc.string({ unit: 'binary', maxLength: 100 }).map(bytes),
  fc.uint8Array({ maxLength: 200 }),
  shape.map((s) => bytes(`\ufeff${s}`)),
  fc.integer({ min: 64 * 1024 + 1, max: 200 * 1024 }).map((n) => new Uint8Array(n).fill(0x20)),
);

/** Every kind of request, with `tokenNames` the run's tokens a bearer may name. */
export function wireRequest(tokenNames: string[]): fc.Arbitrary<WireRequest> {
  const fields = fc.record({
    target,
    prefix,
    suffix,
    auth: auth(tokenNames),
    headers,
    body,
    length: fc.oneof({ weight: 8, arbitrary: fc.constant('exact' as const) }, fc.constantFrom('chunked' as const, 'short' as const, 'long' as const)),
  });
  return fields.map(({ target, ...rest }) => ({ ...target, ...rest }));
}
