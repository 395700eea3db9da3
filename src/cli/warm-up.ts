import { buildParser } from './main.js';

/**
 * The everyday commands (up, env, ls, down, run, status), exercised without side effects.
 *
 * The single executable starts from a V8 heap snapshot taken after this ran (src/sea-main.ts):
 * the modules those commands need are already loaded and their functions already compiled, so a
 * start skips that work. Nothing here may leave state that depends on the machine or the moment:
 * no environment, files, time or randomness (a random pool filled now would be the same in every
 * run of the executable).
 */
export async function warmUp(): Promise<void> {
  const [{ applyEnvOverrides, validate }, { parseDocument }] = await Promise.all([import('../config/load.js'), import('yaml')]);
  // The modules behind a local or remote copy, loaded the way the commands load them.
  await Promise.all([import('../client/local-client.js'), import('../client/http-client.js'), import('./output.js')]);

  const sample = parseDocument('runtime: local\npool:\n  size: 2\nttl: 15m\nports:\n  min: 40000\n  max: 40100\n').toJS() as Record<string, unknown>;
  // Also fills the table of DITTO_* variables, which derives from the schema alone.
  applyEnvOverrides(sample, { DITTO_TTL: '10m' });
  validate(sample, 'warm-up');
  validate({}, 'warm-up');

  // --help runs the parser through each command's builder and renders its help, into the callback
  // instead of stdout; no handler runs.
  for (const command of ['up', 'env', 'ls', 'down', 'run', 'status', 'pool']) {
    const argv = [command, '--help'];
    await buildParser(argv).parseAsync(argv, {}, () => {});
  }
}
