// Wire fuzz benchmark (DESIGN section 13): a fixed list of fuzzed requests (the fuzz test's
// generator, test/helpers/wire-fuzz.ts, with a fixed seed) sent to a real `ditto host` on loopback,
// --concurrency at a time: how many, how long, the rate, the statuses, and how many answers the
// test's property would refuse (a 5xx, a hang, a dropped connection, a 4xx without the error shape).
//   node scripts/bench-fuzz.mjs [--requests 5000] [--concurrency 1] [--seed 42]
// Bounded: --requests (at most 50,000) and 10 s per request. Results: bench/results/fuzz.json.
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { benchHome, ensureBuilt, leftBehind, numberOption, printTable, removeHome, root, round, startHost, stopHost, writeResult } from './bench-lib.mjs';

const requests = Math.min(numberOption('--requests', 5000), 50_000);
const concurrency = numberOption('--concurrency', 1);
const seed = numberOption('--seed', 42);
const TOKENS = { admin: 'bench-fuzz-admin-token', plain: 'bench-fuzz-plain-token' };

const cli = ensureBuilt('ditto.cjs', 'build.mjs');
// Bundled next to dist/ so it resolves fast-check from the project's node_modules.
const bundle = path.join(root, 'dist', `bench-fuzz-${process.pid}.mjs`);
await build({
  stdin: { contents: "export { wireRequest } from './test/helpers/wire-fuzz.ts'; export { WireSession } from './test/helpers/wire-session.ts'; export { default as fc } from 'fast-check';", resolveDir: root, loader: 'ts' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: bundle,
  logLevel: 'warning',
});
const { wireRequest, WireSession, fc } = await import(bundle).finally(() => fs.rmSync(bundle, { force: true }));

// One live copy per caller; the session keeps the admin (who has no quota) to one create and one delete of a real copy.
const { dir, env } = benchHome(
  `runtime: local\npool:\n  size: 0\nports:\n  min: 39660\n  max: 39669\nhost:\n  listen: 127.0.0.1\n  port: 0\n  max_copies_per_owner: 1\n` +
    `  tokens:\n    - name: plain\n      token: ${TOKENS.plain}\n  admin_tokens:\n    - name: ops\n      token: ${TOKENS.admin}\n`,
);
const list = fc.sample(wireRequest(Object.keys(TOKENS)), { numRuns: requests, seed });
const result = { requests, concurrency, seed };
const problems = new Map();
let failed = false;
const { child, url } = await startHost(cli, dir, env);
try {
  const session = new WireSession(url, { tokens: TOKENS, admin: 'admin', plain: 'plain', issuer: 'http://127.0.0.1:9', audience: 'none', timeoutMs: 10_000, adminWrites: 1, destructiveOnKnown: 1 });
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const { problem } = await session.send(list[next++]);
      if (problem) problems.set(problem.slice(0, 120), (problems.get(problem.slice(0, 120)) ?? 0) + 1);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
  const errors = fs.readFileSync(path.join(dir, 'host.log'), 'utf8').split('\n').filter((l) => /"level":(50|60)/.test(l)).length;
  Object.assign(result, {
    sent: session.sent,
    seconds: round(seconds, 2),
    rps: Math.round(session.sent / seconds),
    copies_made: session.made.size,
    statuses: Object.fromEntries([...session.statuses].sort(([a], [b]) => a - b)),
    problems: Object.fromEntries(problems),
    host_errors_logged: errors,
    healthy_after: health.ok && child.exitCode === null,
  });
  printTable(`fuzzed requests against a real host on loopback (seed ${seed}, ${concurrency} at a time)`, ['requests', 'seconds', 'req/s', 'copies made', 'problems', 'host errors', 'healthy after'], [
    [result.sent, result.seconds, result.rps, result.copies_made, [...problems.values()].reduce((a, b) => a + b, 0), errors, result.healthy_after],
  ]);
  process.stdout.write(`statuses: ${JSON.stringify(result.statuses)}\n`);
  for (const [problem, n] of problems) process.stdout.write(`problem (${n}x): ${problem}\n`);
  failed = problems.size > 0 || errors > 0 || !result.healthy_after;
} finally {
  await stopHost(child);
  removeHome(dir, env, [process.execPath, cli]);
}
result.left_behind = leftBehind(dir);
for (const line of result.left_behind) process.stdout.write(`${line}\n`);
writeResult('fuzz', result);
if (failed || result.left_behind.length) process.exitCode = 1;
