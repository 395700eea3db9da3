import { buildParser } from './main.js';

/**
 * The everyday commands (up, env, ls, down, run, status), exercised without side effects.
 *
 * The single executable's build runs this before it takes the CLI's code cache
 * (scripts/build-binary.mjs): V8 then caches the code of every function that ran, and a start
 * compiles none of them. It runs in a plain node, where the executable's library bundles do not
 * exist: the config's parser and schema must stay out (a start reads the config from its cache,
 * config/cached-load.ts), or the build fails.
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
