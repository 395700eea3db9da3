// A doc generated from the sources (docs/configuration.md, docs/openapi.json): bundles the
// TypeScript module that renders it with esbuild, as the builds do, and writes, prints or checks it.
//
//   node scripts/NAME.mjs           write the file
//   node scripts/NAME.mjs --stdout  print it instead
//   node scripts/NAME.mjs --check   exit 1 when the file differs
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');

/** `entry` (relative to the repository) exports `render`, which returns the text of `target`; `command` regenerates it. */
export async function generatedDoc({ entry, render, target, command }) {
  const file = path.join(root, target);
  const bundle = await build({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    logLevel: 'warning',
  });
  // Loaded from a private temporary file: CommonJS, so the bundled packages' require() of Node's modules works.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-generated-doc-'));
  let text;
  try {
    const loaded = path.join(dir, 'render.cjs');
    fs.writeFileSync(loaded, bundle.outputFiles[0].text);
    text = createRequire(import.meta.url)(loaded)[render]();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const mode = process.argv[2];
  if (mode === '--stdout') {
    process.stdout.write(text);
  } else if (mode === '--check') {
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (current !== text) {
      process.stderr.write(`${target} is out of date: run ${command}\n`);
      process.exit(1);
    }
  } else if (mode === undefined) {
    fs.writeFileSync(file, text);
    process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  } else {
    process.stderr.write(`${path.basename(process.argv[1])}: unknown argument ${mode} (--stdout, --check)\n`);
    process.exit(2);
  }
}
