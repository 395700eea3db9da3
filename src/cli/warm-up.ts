import { prebuildParser } from './main.js';

/**
 * The everyday commands' modules (up, env, ls, down, run, status), loaded without side effects.
 *
 * The single executable starts from a V8 heap snapshot taken after this ran (src/sea-main.ts):
 * the modules those commands need are already loaded (their top levels run, the parser built),
 * so a start skips that work. Nothing here may leave state that depends on the machine or the moment:
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

  // The parser the first command of each start uses. Running each command's --help here as well
  // (compiling the builders ahead) made the snapshot bigger, and `ls` dearer by 5% of its
  // instructions: deserializing costs more than compiling those functions lazily.
  prebuildParser();
}
