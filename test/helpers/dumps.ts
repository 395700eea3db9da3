import path from 'node:path';
import { expect } from 'vitest';
import { PAGILA, type Result, type TestHome } from './ditto.js';
import { ReferenceServer } from './reference-pg.js';

/** A failure as users must see it: the exit code, exactly one `ditto: ` line on stderr, nothing on stdout, no stack. */
export function expectOneLineError(result: Result, code: number, pattern: RegExp): void {
  expect(result.exitCode, result.stderr).toBe(code);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^ditto: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

/**
 * A plain server on the top port of the home's range, loaded with pagila, and the home's config
 * narrowed to the rest of the range. `extraSql` runs after the load (constraints a test needs).
 */
export async function pagilaSource(home: TestHome, config: Record<string, unknown>, extraSql?: string): Promise<ReferenceServer> {
  const source = new ReferenceServer(home.ports.max);
  await source.start();
  try {
    await source.psqlFile(path.join(PAGILA, 'pagila-schema.sql'));
    await source.psqlFile(path.join(PAGILA, 'pagila-data.sql'));
    if (extraSql) await source.psql(extraSql);
  } catch (err) {
    await source.stop();
    throw err;
  }
  home.writeConfig({ ...config, ports: { min: home.ports.min, max: home.ports.max - 1 } });
  return source;
}
