import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/ditto.js';

/**
 * Start-up cost is whatever the CLI loads before it knows the command. This walks the bundle's
 * import graph from src/bin.ts along the edges that load at start-up (static imports; a
 * require() at the top of a package's module) and checks that no heavy package is on it: they
 * must load through `await import()` inside the commands that use them.
 */
const HEAVY = ['dockerode', '@aws-sdk/', 'listr2', 'pino', 'pg', 'execa', 'zod', 'yaml', 'src/server/'];

async function startupGraph(): Promise<{ eager: Set<string>; via: Map<string, string> }> {
  const result = await build({
    entryPoints: [path.join(REPO, 'src/bin.ts')],
    bundle: true,
    write: false,
    outfile: path.join(REPO, 'dist/startup-graph.cjs'),
    platform: 'node',
    format: 'cjs',
    metafile: true,
    external: ['better-sqlite3', 'pg-native', 'cpu-features', 'ssh2'],
    define: { 'import.meta.url': '__ditto_import_meta_url' },
    logLevel: 'silent',
  });
  const inputs: Metafile['inputs'] = result.metafile.inputs;
  const eager = new Set<string>(['src/bin.ts']);
  const via = new Map<string, string>();
  const queue = ['src/bin.ts'];
  while (queue.length) {
    const file = queue.shift()!;
    for (const imp of inputs[file]?.imports ?? []) {
      // Our sources require() only inside functions (completion.ts); packages' require()s are top-level as often as not.
      const loadsAtStart = imp.kind === 'import-statement' || (imp.kind === 'require-call' && file.includes('node_modules/'));
      if (!loadsAtStart || imp.external || eager.has(imp.path)) continue;
      eager.add(imp.path);
      via.set(imp.path, file);
      queue.push(imp.path);
    }
  }
  return { eager, via };
}

function chain(file: string, via: Map<string, string>): string {
  const steps = [file];
  for (let at = via.get(file); at; at = via.get(at)) steps.unshift(at);
  return steps.join(' -> ');
}

describe('start-up imports', () => {
  it('load no heavy package before the command needs it', async () => {
    const { eager, via } = await startupGraph();
    expect(eager.has('src/cli/main.ts')).toBe(true);
    const heavy = [...eager].filter((file) => HEAVY.some((name) => file.includes(`node_modules/${name}`) || file.startsWith(name)));
    expect(heavy.map((file) => chain(file, via))).toEqual([]);
  });
});
