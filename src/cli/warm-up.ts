import { buildParser } from './main.js';

/**
 * The everyday commands (up, env, ls, down, run, status), exercised without side effects.
 *
 * The single executable starts from a V8 heap snapshot taken after this ran (src/sea-main.ts):
 * the modules those commands need are already loaded and their functions already compiled, so a
 * start skips that work. Nothing here may leave state that depends on the machine or the moment:
 * no environment, files, time or randomness, and no SQLite connection (a backend chosen now would
 * be the build machine's). The config's parser and schema stay out: a start reads the config from
 * its cache (config/cached-load.ts), and they come from the executable's library bundle when the
 * config changed; the snapshot cannot reach that bundle, so loading them here fails the build.
 */
export async function warmUp(): Promise<void> {
  // The modules behind a local or remote copy, loaded the way the commands load them.
  const [{ configVariables }] = await Promise.all([
    import('../config/locate.js'),
    import('../config/cached-load.js'),
    import('../compose.js'),
    import('../client/http-client.js'),
    import('./output.js'),
  ]);
  configVariables({ DITTO_TTL: '10m', DITTO_HOME: '/nonexistent' });

  // --help runs the parser through each command's builder and renders its help, into the callback
  // instead of stdout; no handler runs.
  for (const command of ['up', 'env', 'ls', 'down', 'run', 'status', 'pool']) {
    await buildParser().parseAsync([command, '--help'], {}, () => {});
  }
}
