import type { Argv, CommandModule } from 'yargs';
import { DittoError } from '../../errors.js';
import { loadFor, type GlobalArgs } from '../context.js';

type Args = GlobalArgs & { listen?: string; port?: number };

export const hostCommand: CommandModule<GlobalArgs, Args> = {
  command: 'host',
  describe: 'serve the /v2 API to other machines, with the maintenance loop (logs JSON lines on stdout; stops on SIGTERM)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .option('listen', { type: 'string', describe: 'address to listen on (default: host.listen in config, 127.0.0.1)' })
      .option('port', { type: 'number', describe: 'port to listen on; 0 takes a free one (default: host.port in config, 7433)' }) as Argv<Args>,
  handler: async (args) => {
    if (args.port !== undefined && !(Number.isInteger(args.port) && args.port >= 0 && args.port <= 65535)) {
      throw new DittoError('BAD_INPUT', `--port must be a port number (0-65535); got '${String(args.port)}'`);
    }
    const loaded = await loadFor(args);
    // The server, the mirror and their dependencies load only for this command.
    const [{ runHost }, { composeHost }] = await Promise.all([import('../../server/host.js'), import('../../compose.js')]);
    await runHost(loaded, composeHost(loaded), { listen: args.listen, port: args.port });
  },
};
