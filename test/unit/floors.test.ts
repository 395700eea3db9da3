import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/ditto.js';

/**
 * The house (docs/architecture.md): every module sits on a floor and imports only from its own
 * floor or below. This reads every import in src/ (static, dynamic, type-only and require) and
 * fails on any that climbs.
 */
const FLOORS: string[][] = [
  ['model', 'support', 'runtime-env', 'diagram', 'errors.ts', 'version.ts'],
  ['config'],
  ['state'],
  ['engines'],
  ['runtimes'],
  ['dump'],
  ['copies'],
  ['reseed', 'api', 'mcp'],
  ['client', 'server'],
  ['cli', 'doctor', 'compose.ts', 'bin.ts', 'sea-main.ts'],
];

const SRC = path.join(REPO, 'src');
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm;

function floorOf(file: string): number {
  const top = path.relative(SRC, file).split(path.sep)[0]!;
  const floor = FLOORS.findIndex((names) => names.includes(top));
  if (floor < 0) throw new Error(`${path.relative(REPO, file)} is on no floor: add its folder to FLOORS`);
  return floor;
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/** The imports of `file` (its text given) that reach a floor above its own. */
function climbing(file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const target = path.resolve(path.dirname(file), match[1]!.replace(/\.js$/, '.ts'));
    if (!target.startsWith(SRC + path.sep)) continue; // package.json
    if (floorOf(target) > floorOf(file)) found.push(`${path.relative(SRC, file)} -> ${path.relative(SRC, target)}`);
  }
  return found;
}

describe('the floors of the house', () => {
  it('every source file sits on a floor', () => {
    for (const file of sources(SRC)) expect(floorOf(file)).toBeGreaterThanOrEqual(0);
  });

  it('no module imports from a floor above its own', () => {
    expect(sources(SRC).flatMap((file) => climbing(file, fs.readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('the check sees every form of an import that climbs, and lets imports from below pass', () => {
    const file = path.join(SRC, 'engines', 'example.ts');
    const text = [
      "import { Manager } from '../copies/manager.js';",
      "import type { Copies } from '../copies/house.js';",
      "const { runHost } = await import('../server/host.js');",
      "const load = require('../cli/main.js');",
      "import { DittoError } from '../errors.js';",
      "import type { Config } from '../config/schema.js';",
      "import { PostgresEngine } from './postgres/engine.js';",
    ].join('\n');
    expect(climbing(file, text)).toEqual([
      'engines/example.ts -> copies/manager.ts',
      'engines/example.ts -> copies/house.ts',
      'engines/example.ts -> server/host.ts',
      'engines/example.ts -> cli/main.ts',
    ]);
  });

  it('no source file is much over 300 lines', () => {
    const long = sources(SRC)
      .map((file) => ({ file: path.relative(SRC, file), lines: fs.readFileSync(file, 'utf8').split('\n').length }))
      .filter((f) => f.lines > 320);
    expect(long).toEqual([]);
  });
});
