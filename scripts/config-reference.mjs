// docs/configuration.md from the config schema: bundles scripts/config-reference.ts (which reads
// src/config/schema.ts) with esbuild, as the builds do, and renders it.
//
//   node scripts/config-reference.mjs           write docs/configuration.md (npm run docs:config)
//   node scripts/config-reference.mjs --stdout  print it instead
//   node scripts/config-reference.mjs --check   exit 1 when docs/configuration.md differs
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const target = path.join(root, 'docs', 'configuration.md');

const bundle = await build({
  entryPoints: [path.join(root, 'scripts', 'config-reference.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  write: false,
  logLevel: 'warning',
});
// Loaded from a private temporary file: CommonJS, so the bundled packages' require() of Node's modules works.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-config-reference-'));
let text;
try {
  const file = path.join(dir, 'config-reference.cjs');
  fs.writeFileSync(file, bundle.outputFiles[0].text);
  text = createRequire(import.meta.url)(file).renderReference();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

const mode = process.argv[2];
if (mode === '--stdout') {
  process.stdout.write(text);
} else if (mode === '--check') {
  const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (current !== text) {
    process.stderr.write('docs/configuration.md is out of date: run npm run docs:config\n');
    process.exit(1);
  }
} else if (mode === undefined) {
  fs.writeFileSync(target, text);
  process.stderr.write(`wrote ${path.relative(process.cwd(), target)}\n`);
} else {
  process.stderr.write(`config-reference: unknown argument ${mode} (--stdout, --check)\n`);
  process.exit(2);
}
