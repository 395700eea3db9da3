import type { Argv, CommandModule } from 'yargs';
import { copyJson } from '../../api/wire.js';
import { withClient, interruptSignal, type GlobalArgs } from '../context.js';
import { printJson, say } from '../output.js';
import { withProgress } from '../progress.js';
import { copyIdArg } from './copy-id.js';

type Args = GlobalArgs & { id?: string; json?: boolean };

export const resetCommand: CommandModule<GlobalArgs, Args> = {
  command: 'reset [id]',
  describe: "put a copy's data back as it started; its connection string stays the same (default copy: $DITTO_COPY_ID)",
  builder: (y: Argv<GlobalArgs>) =>
    y.positional('id', { type: 'string', describe: 'copy id' }).option('json', { type: 'boolean', describe: 'print JSON' }) as Argv<Args>,
  handler: async (args) => {
    const id = copyIdArg(args.id);
    const interrupt = interruptSignal();
    try {
      const started = Date.now();
      const copy = await withClient(args, (client) =>
        withProgress(`Resetting ${id}`, process.stderr.isTTY === true, (onProgress) => client.reset(id, { onProgress, signal: interrupt.signal }), (c) => `Copy ${c.id} reset in ${((Date.now() - started) / 1000).toFixed(1)}s`),
      );
      if (args.json) return printJson(copyJson(copy));
      say(copy.connectionString);
    } finally {
      interrupt.dispose();
    }
  },
};
