import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';
import { TestIssuer, makeKey } from '../helpers/oidc-issuer.js';
import { readCopies } from '../helpers/state.js';
import { wireRequest, type WireRequest } from '../helpers/wire-fuzz.js';
import { WireSession } from '../helpers/wire-session.js';

/**
 * DESIGN section 13, "Fuzz the wire": fast-check throws methods, paths, headers, bearers and bodies
 * at a real `ditto host` (static tokens, an OIDC issuer on loopback). Every answer must be a 2xx or
 * a 4xx with the error shape, in bounded time; the host stays up, and no copy outlives the run.
 * Bounded by count and time; a failure prints its seed and path (fc.assert) for replay.
 */
const AUDIENCE = 'ditto-fuzz';
const TOKENS = { admin: 'admin-token-fuzz-0123456789', plain: 'plain-token-fuzz-abcdefghij' };
const NUM_RUNS = 5000;
const TIME_LIMIT_MS = 45_000;

const issuer = new TestIssuer(AUDIENCE, 'unused');
let home: TestHome;
let host: HostProcess;
let session: WireSession;
/** For the cases written out: apart, so the fuzz run's counts are its own. */
let probe: WireSession;
let tokenNames: string[];

beforeAll(async () => {
  await issuer.start();
  const key = await makeKey('k1');
  issuer.keys = [key];
  home = new TestHome({}, { portCount: 10 });
  home.writeConfig({
    host: {
      tokens: [{ name: 'plain', token: TOKENS.plain }],
      admin_tokens: [{ name: 'ops', token: TOKENS.admin }],
      // Bounds what valid creates can make: one live copy per caller (the admin is bounded by the session).
      max_copies_per_owner: 1,
      oidc: { issuer: issuer.issuer, audience: AUDIENCE, owner_claim: 'repository', required_claims: { repository_owner: 'org' }, jwks_url: `${issuer.url}/jwks` },
    },
  });
  host = await HostProcess.start(home);
  const tokens = {
    ...TOKENS,
    oidc: await issuer.mint({ repository: 'org/fuzz', repository_owner: 'org' }, { key, expiresIn: 3600 }),
    oidcExpired: await issuer.mint({ repository: 'org/fuzz', repository_owner: 'org' }, { key, expiresIn: -3600 }),
    oidcOutsider: await issuer.mint({ repository: 'other/x', repository_owner: 'other' }, { key, expiresIn: 3600 }),
  };
  tokenNames = Object.keys(tokens);
  const options = { tokens, admin: 'admin', plain: 'plain', issuer: issuer.issuer, audience: AUDIENCE, timeoutMs: 30_000, adminWrites: 3, destructiveOnKnown: 3 };
  session = new WireSession(host.url, options);
  probe = new WireSession(host.url, options);
});

afterAll(async () => {
  if (host?.child.exitCode === null) await host.stop();
  await home?.cleanup();
  await issuer.stop();
});

/** A plain caller's GET /, changed by `over`. */
function request(over: Partial<WireRequest>): WireRequest {
  return { method: 'GET', prefix: '/', segments: [], suffix: '', auth: [{ scheme: 'Bearer ', token: { name: 'plain' }, trailer: '' }], headers: {}, body: null, length: 'exact', ...over };
}

describe('the /v2 wire under fuzzing', () => {
  it('answers what the fuzzer found wanting with the error shape', async () => {
    const cases: [WireRequest, number, string][] = [
      // new URL('//', base) threw: a 500 "Invalid URL".
      [request({ method: 'POST', prefix: '//' }), 404, 'NOT_FOUND'],
      [request({ method: 'OPTIONS', prefix: '*' }), 400, 'BAD_INPUT'],
      // Node.js's own bare answers to what it cannot parse: now the API's JSON error.
      [request({ method: 'FOO', segments: ['v2', 'copies'] }), 400, 'BAD_INPUT'],
      [request({ segments: ['v2', 'copies', 'a'.repeat(20_000)] }), 413, 'TOO_LARGE'],
      [request({ method: 'POST', segments: ['v2', 'copies'], headers: { 'transfer-encoding': 'gzip, chunked' }, body: new Uint8Array([123, 125]) }), 400, 'BAD_INPUT'],
      // An id decoding to a control character was echoed in the error.
      [request({ method: 'DELETE', segments: ['v2', 'copies', '%07x'] }), 400, 'BAD_INPUT'],
    ];
    for (const [req, status, code] of cases) {
      const { answer, problem } = await probe.send(req);
      expect(problem, `${req.method} ${req.prefix}${req.segments.join('/').slice(0, 40)}`).toBeNull();
      expect([answer.status, JSON.parse(answer.text).code]).toEqual([status, code]);
    }
    // A body cut short (the client closes its side) was an INTERNAL error in the host's log.
    const cut = request({ method: 'PATCH', segments: ['v2', 'copies', 'x'], body: new Uint8Array([123]), length: 'long' });
    expect((await probe.send(cut)).problem).toBeNull();
    await expect.poll(() => host.logLines.some((l) => l.includes('"route":"extend_copy"') && l.includes('"status":499'))).toBe(true);
  });

  it('answers every request with a 2xx or a 4xx error of the usual shape, in bounded time', async () => {
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(wireRequest(tokenNames), async (req) => {
        const { problem } = await session.send(req);
        if (problem) throw new Error(problem);
      }),
      { numRuns: NUM_RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
    );
    console.log(session.summary((performance.now() - started) / 1000));
    expect(session.sent).toBeGreaterThan(200);
    // Valid creates were among them: the run reached provisioning, not only the checks before it.
    expect(session.made.size).toBeGreaterThan(0);
  }, 120_000);

  it('leaves the host healthy, its process alive and no error in its log', async () => {
    const health = await host.api('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'ok' });
    expect(host.child.exitCode).toBeNull();
    // An error or fatal line: the host failed a request itself (a 5xx), even one whose client had gone.
    expect(host.logLines.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
  });

  it('destroys every copy the run made and leaves nothing behind', async () => {
    const live = readCopies(home).filter((c) => c.status !== 'destroyed' && c.status !== 'failed');
    for (const copy of live) expect((await host.api('DELETE', `/v2/copies/${copy.id}`, { token: TOKENS.admin })).status).toBe(204);
    expect(readCopies(home).filter((c) => c.status !== 'destroyed' && c.status !== 'failed')).toEqual([]);
    expect(readCopies(home).filter((c) => session.made.has(c.id)).map((c) => c.status)).toEqual([...session.made].map(() => 'destroyed'));
    expect(await host.stop()).toBe(0);
    expect(await leftovers(home)).toEqual([]);
  });
});
