import path from 'node:path';
import { PAGILA, type TestHome } from './ditto.js';
import { ReferenceServer } from './reference-pg.js';

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
