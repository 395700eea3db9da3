// Bundles the CLI into one CommonJS file, dist/ditto.cjs (the input of the single executable).
import { build } from 'esbuild';
import { dashboardDefine } from './dashboard-build.mjs';

await build({
  entryPoints: ['src/bin.ts'],
  outfile: 'dist/ditto.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  // Native addon: loaded from node_modules (or, in the single executable, from an embedded asset).
  external: ['better-sqlite3', 'pg-native', 'cpu-features', 'ssh2'],
  // ESM dependencies (yargs) read import.meta.url, which CommonJS output lacks.
  define: { 'import.meta.url': '__ditto_import_meta_url', ...(await dashboardDefine()) },
  banner: { js: "#!/usr/bin/env node\nconst __ditto_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
