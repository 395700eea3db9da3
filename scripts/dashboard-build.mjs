// Builds the dashboard (dashboard/: index.html, TypeScript, CSS) with Vite into dist/dashboard, and
// hands the files to esbuild as a define, so the bundle carries them (src/server/dashboard-assets.ts).
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'vite';

const root = path.resolve(import.meta.dirname, '..');
const outDir = path.join(root, 'dist/dashboard');

let built = null;

/** The built files by URL path ('/index.html', '/assets/index-HASH.js'), built once per process. */
export function buildDashboard() {
  built ??= (async () => {
    await build({
      root: path.join(root, 'dashboard'),
      base: '/',
      configFile: false,
      logLevel: 'warn',
      // No inline script (the page's CSP allows none), nothing inlined as a data: URL.
      build: { outDir, emptyOutDir: true, modulePreload: { polyfill: false }, assetsInlineLimit: 0, target: 'es2022', reportCompressedSize: false },
    });
    const files = {};
    const walk = (dir) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else files[`/${path.relative(outDir, full).split(path.sep).join('/')}`] = fs.readFileSync(full, 'utf8');
      }
    };
    walk(outDir);
    return files;
  })();
  return built;
}

/** esbuild's define of the dashboard's files (read by src/server/dashboard-assets.ts). */
export async function dashboardDefine() {
  return { __DITTO_DASHBOARD__: JSON.stringify(JSON.stringify(await buildDashboard())) };
}
