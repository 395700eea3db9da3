// Bundles the GitHub Action (actions/ditto/src, with the JS SDK's sources) into actions/ditto/dist:
// main.js and post.js, ES modules with no dependencies, committed because a runner executes them
// as they are. `node scripts/build-action.mjs [OUTDIR]`; test/unit/action-dist.test.ts checks
// that the committed files are what this builds.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.resolve(process.argv[2] ?? path.join(repo, 'actions/ditto/dist'));

await build({
  // Paths in the bundle's comments are relative to the repository, wherever it is built.
  absWorkingDir: repo,
  entryPoints: ['actions/ditto/src/main.ts', 'actions/ditto/src/post.ts'],
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  banner: { js: '// Built by scripts/build-action.mjs from actions/ditto/src and sdk/js/src: do not edit.' },
  logLevel: 'warning',
});
