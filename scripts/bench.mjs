// `npm run bench`: runs every scripts/bench-*.mjs in turn, so a benchmark is added by adding a file.
//   npm run bench                  all of them
//   npm run bench -- startup pool  only bench-startup.mjs and bench-pool.mjs
// Each benchmark prints its own table and writes its JSON under bench/results/. Arguments after
// the names are not passed on: run a benchmark directly (node scripts/bench-x.mjs --runs 50) for that.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const scripts = path.resolve(import.meta.dirname);
const wanted = process.argv.slice(2);
const all = fs
  .readdirSync(scripts)
  // bench-lib*.mjs hold what the benchmarks share; they are not benchmarks themselves.
  .filter((f) => /^bench-.+\.mjs$/.test(f) && !f.startsWith('bench-lib'))
  .sort();
const chosen = wanted.length ? all.filter((f) => wanted.includes(f.slice('bench-'.length, -'.mjs'.length))) : all;
if (chosen.length === 0) {
  process.stderr.write(`bench: nothing matches ${wanted.join(', ')}; there are ${all.join(', ') || 'no benchmarks'}\n`);
  process.exit(2);
}

const failed = [];
for (const file of chosen) {
  process.stdout.write(`\n== ${file} ==\n`);
  const result = spawnSync(process.execPath, [path.join(scripts, file)], { stdio: 'inherit', cwd: path.dirname(scripts) });
  if (result.status !== 0) failed.push(`${file} (exit ${result.status ?? result.signal})`);
}
if (failed.length) {
  process.stderr.write(`bench: failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
