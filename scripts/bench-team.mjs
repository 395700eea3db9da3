// Team host benchmark (issue 14), on loopback only, bounded in count and time:
//  1. Two runs of `ditto host` from dist/ditto.cjs, one after the other in one invocation, each in its
//     own home (local runtime, PostgreSQL, a warm pool of --pool copies, copies on ports 41000-41080):
//       plain:  HTTP, one static token per client, copies in clear;
//       secure: host.tls (a CA made here; clients trust it through an undici Agent), host.copy_tls: auto,
//               host.oidc against an issuer served here on 127.0.0.1 (ES256; each client its own `sub`).
//     --clients clients (20) each loop --loops times: create, list, delete, then two more lists.
//     create/list/delete p50 and p99 as the clients see them; errors (non-2xx, exceptions) must be 0;
//     afterwards every client's list is empty, and the home leaves no server, mount or directory.
//  2. The JWKS-verify cost, in this process: jose's jwtVerify with a warm createRemoteJWKSet against
//     the same issuer, vs the static-token check (SHA-256 + timingSafeEqual over 20 digests, as
//     src/server/auth.ts does it).
// Results: bench/results/team.json. Target (DESIGN): 0 errors; p99 of create and list.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { build } from 'esbuild';
import { SignJWT, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { Agent, fetch } from 'undici';
import { benchHome, ensureBuilt, leftBehind, median, numberOption, printTable, quantile, removeHome, root, round, startHost, stopHost, writeResult } from './bench-lib.mjs';

const clients = numberOption('--clients', 20);
const loops = numberOption('--loops', 3);
const poolSize = numberOption('--pool', 4);
const verifies = numberOption('--verifies', 2000);
/** Hard bounds on each run's load: it stops at whichever comes first. */
const MAX_REQUESTS = 5_000;
const MAX_SECONDS = 300;
const AUDIENCE = 'ditto-bench-team';

const cli = ensureBuilt('ditto.cjs', 'build.mjs');
const log = (line) => process.stdout.write(`${line}\n`);

// The issuer: openid-configuration and the JWKS on 127.0.0.1, one ES256 key.
const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
const issuerServer = http.createServer((req, res) => {
  const body = req.url === '/.well-known/openid-configuration' ? { issuer, jwks_uri: `${issuer}/jwks` } : req.url === '/jwks' ? { keys: [jwk] } : null;
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? { error: 'not found' }));
});
await new Promise((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${issuerServer.address().port}`;
const mint = (sub) => new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'bench', typ: 'JWT' }).setSubject(sub).setIssuer(issuer).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('2h').sign(privateKey);

// The API's certificate, from ditto's own code (src/support/certificates.ts), bundled next to dist/.
const bundle = path.join(root, 'dist', `bench-certs-${process.pid}.mjs`);
await build({ entryPoints: [path.join(root, 'src/support/certificates.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, packages: 'external', logLevel: 'warning' });
const { makeCa, issueServerCert } = await import(bundle);
fs.rmSync(bundle, { force: true });
const ca = await makeCa('ditto bench-team CA');
const apiCert = await issueServerCert(ca, ['127.0.0.1']);

const names = Array.from({ length: clients }, (_, i) => `client-${String(i).padStart(2, '0')}`);
const common = `runtime: local\nengine: postgres\npool:\n  size: ${poolSize}\nports:\n  min: 41000\n  max: 41080\nhost:\n  listen: 127.0.0.1\n  port: 0\n`;
const runs = [
  {
    name: 'plain',
    yaml: () => `${common}  tokens:\n${names.map((n) => `    - name: ${n}\n      token: bench-team-${n}\n`).join('')}`,
    tokens: async () => names.map((n) => `bench-team-${n}`),
    dispatcher: new Agent(),
  },
  {
    name: 'secure',
    yaml: (dir) => {
      fs.writeFileSync(path.join(dir, 'api.crt'), apiCert.cert);
      fs.writeFileSync(path.join(dir, 'api.key'), apiCert.key, { mode: 0o600 });
      return `${common}  tls:\n    cert: ${dir}/api.crt\n    key: ${dir}/api.key\n  copy_tls: auto\n  oidc:\n    issuer: ${issuer}\n    audience: ${AUDIENCE}\n`;
    },
    tokens: () => Promise.all(names.map(mint)),
    dispatcher: new Agent({ connect: { ca: ca.cert } }),
  },
];

/** One run: a home, a host, the load, the checks, and the home emptied and removed. */
async function runOnce(run) {
  const { dir, env } = benchHome('');
  fs.writeFileSync(path.join(dir, 'ditto.yaml'), run.yaml(dir));
  const tokens = await run.tokens();
  const times = { create: [], list: [], delete: [] };
  const errors = [];
  const problems = [];
  let requests = 0;
  let warm = 0;
  let host;
  const started = () => host.t0;
  const api = async (token, method, pathname, body) => {
    requests++;
    const res = await fetch(host.url + pathname, {
      method, dispatcher: run.dispatcher, signal: AbortSignal.timeout(120_000),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw Object.assign(new Error(`${method} ${pathname}: ${res.status} ${text.slice(0, 300)}`), { status: res.status });
    return text ? JSON.parse(text) : null;
  };
  const timed = async (op, client, fn) => {
    const t = performance.now();
    try {
      const value = await fn();
      times[op].push(performance.now() - t);
      return value;
    } catch (err) {
      errors.push({ run: run.name, client, op, status: err.status ?? null, error: err.message });
      return undefined;
    }
  };
  const bounded = () => requests < MAX_REQUESTS && performance.now() - started() < MAX_SECONDS * 1000;
  try {
    host = { ...(await startHost(cli, dir, env)), t0: performance.now() };
    // Creates start from a full pool, as on a team's host that has been up a while. A pool idles
    // until the first create, so one untimed create + delete wakes it; then wait for it to fill.
    const first = await api(tokens[0], 'POST', '/v2/copies', { ttl_seconds: 600, run_id: 'bench-team-warmup' });
    await api(tokens[0], 'DELETE', `/v2/copies/${first.id}`);
    const readyBy = performance.now() + 180_000;
    while ((await api(tokens[0], 'GET', '/v2/status')).warm_copies < poolSize) {
      if (performance.now() > readyBy) throw new Error(`the pool did not fill to ${poolSize} within 180 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
    requests = 0;
    host.t0 = performance.now();
    const client = async (i) => {
      for (let loop = 0; loop < loops && bounded(); loop++) {
        const copy = await timed('create', names[i], () => api(tokens[i], 'POST', '/v2/copies', { ttl_seconds: 600, run_id: 'bench-team' }));
        if (copy?.warm) warm++;
        await timed('list', names[i], () => api(tokens[i], 'GET', '/v2/copies'));
        if (copy) await timed('delete', names[i], () => api(tokens[i], 'DELETE', `/v2/copies/${copy.id}`));
        for (let k = 0; k < 2 && bounded(); k++) await timed('list', names[i], () => api(tokens[i], 'GET', '/v2/copies'));
      }
    };
    await Promise.all(names.map((_, i) => client(i)));
    const wall = (performance.now() - host.t0) / 1000;
    const load = requests;
    // Every client's list is empty afterwards.
    for (const [i, name] of names.entries()) {
      const left = await api(tokens[i], 'GET', '/v2/copies').catch((err) => [err.message]);
      if (left.length) problems.push(`${name} still lists ${JSON.stringify(left).slice(0, 200)}`);
    }
    const stat = (xs, q) => (xs.length ? round(q === 0.5 ? median(xs) : quantile(xs, q), 1) : null);
    return {
      run: run.name, requests: load, errors: errors.length, warm_creates: warm, creates: times.create.length, wall_s: round(wall, 1),
      ...Object.fromEntries(Object.entries(times).flatMap(([op, xs]) => [[`${op}_p50_ms`, stat(xs, 0.5)], [`${op}_p99_ms`, stat(xs, 0.99)]])),
      error_list: errors, problems,
    };
  } catch (err) {
    errors.push({ run: run.name, client: '-', op: 'run', status: null, error: err.message });
    throw err;
  } finally {
    if (host) {
      await stopHost(host.child);
      if (errors.length) {
        const lines = fs.readFileSync(path.join(dir, 'host.log'), 'utf8').split('\n').filter((l) => /"status":[45]\d\d|"level":(40|50|60)|error/i.test(l));
        log(`${run.name}: host.log lines of failures (last 30 of ${lines.length}):\n${lines.slice(-30).join('\n')}`);
      }
    }
    // ditto pool drain, down --all, prune with the home's env, then the directory; nothing may be left.
    removeHome(dir, env, [process.execPath, cli]);
    problems.push(...leftBehind(dir));
  }
}

const results = [];
try {
  for (const run of runs) {
    log(`${run.name}: ${clients} clients x ${loops} loops (pool ${poolSize})...`);
    results.push(await runOnce(run));
  }

  // 2. JWKS verify (warm key set) vs the static-token check, per request, in this process.
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const token = await mint('client-00');
  const options = { issuer, audience: AUDIENCE, clockTolerance: 60, algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'], requiredClaims: ['exp'] };
  await jwtVerify(token, jwks, options);
  const perCall = async (n, fn) => {
    const xs = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn();
      xs.push((performance.now() - t) * 1000);
    }
    return { median_us: round(median(xs), 1), p99_us: round(quantile(xs, 0.99), 1) };
  };
  const digests = Array.from({ length: 20 }, () => createHash('sha256').update(randomBytes(24).toString('hex')).digest());
  const staticToken = 'bench-team-client-19';
  const verify = {
    verifies,
    jwks_verify: await perCall(verifies, () => jwtVerify(token, jwks, options)),
    static_check: await perCall(verifies, () => {
      const presented = createHash('sha256').update(staticToken, 'utf8').digest();
      let found = false;
      for (const d of digests) if (timingSafeEqual(presented, d) && !found) found = true;
      return found;
    }),
  };

  const [plain, secure] = results;
  const ratio = (key) => (plain[key] && secure[key] ? round(secure[key] / plain[key], 2) : null);
  const ratios = { create_p50: ratio('create_p50_ms'), list_p50: ratio('list_p50_ms'), list_p99: ratio('list_p99_ms') };
  printTable(`${clients} concurrent clients x ${loops} loops (create, list, delete, 2 lists), pool ${poolSize}, loopback; ms as the clients see them`,
    ['run', 'requests', 'errors', 'warm', 'create p50', 'create p99', 'list p50', 'list p99', 'delete p50', 'delete p99', 'wall s'],
    results.map((r) => [r.run, r.requests, r.errors, `${r.warm_creates}/${r.creates}`, r.create_p50_ms, r.create_p99_ms, r.list_p50_ms, r.list_p99_ms, r.delete_p50_ms, r.delete_p99_ms, r.wall_s]));
  log(`secure/plain (one run each, this invocation): create p50 x${ratios.create_p50}, list p50 x${ratios.list_p50}, list p99 x${ratios.list_p99}`);
  printTable(`auth cost per request, in-process, ${verifies} checks`, ['check', 'median us', 'p99 us'], [
    ['jose jwtVerify, warm JWKS (ES256)', verify.jwks_verify.median_us, verify.jwks_verify.p99_us],
    ['static: SHA-256 + 20 timingSafeEqual', verify.static_check.median_us, verify.static_check.p99_us],
  ]);

  const failures = results.flatMap((r) => [...r.error_list.map((e) => `${e.run} ${e.client} ${e.op}: ${e.error}`), ...r.problems.map((p) => `${r.run}: ${p}`)]);
  writeResult('team', {
    clients, loops, pool: poolSize, bounds: { max_requests: MAX_REQUESTS, max_seconds: MAX_SECONDS },
    runs: results.map(({ error_list, problems, ...r }) => ({ ...r, failures: [...error_list.map((e) => `${e.client} ${e.op}: ${e.error}`), ...problems].slice(0, 20) })),
    ratios_secure_over_plain: { ...ratios, note: 'one run of each, from the same invocation' },
    verify,
    targets: { zero_errors: failures.length === 0 },
  });
  if (failures.length) {
    process.stderr.write(`bench-team: ${failures.length} failures:\n${failures.slice(0, 40).join('\n')}\n`);
    process.exitCode = 1;
  }
} finally {
  issuerServer.closeAllConnections();
  issuerServer.close();
  await Promise.all(runs.map((r) => r.dispatcher.close()));
}
