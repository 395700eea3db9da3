import type { Argv, CommandModule } from 'yargs';
import { withClient, interruptSignal, type GlobalArgs } from '../context.js';
import { copyJson } from '../../api/wire.js';
import { printJson, say } from '../output.js';
import { issueCopy, withUpFlags, type UpFlags } from './up-flags.js';

type Args = GlobalArgs & UpFlags & { json?: boolean };

export const upCommand: CommandModule<GlobalArgs, Args> = {
  command: 'up',
  describe: 'claim a warm copy or provision one; print its connection string',
  builder: (y: Argv<GlobalArgs>) => withUpFlags(y)
      .option('name', { type: 'string', describe: 'your live copy of this name if there is one (its TTL renewed), else a new one with it (e.g. pr-123)' })
      .option('json', { type: 'boolean', describe: 'print the copy as JSON' }) as Argv<Args>,
  handler: async (args) => {
    const interrupt = interruptSignal();
    try {
      const copy = await withClient(args, (client) => issueCopy(client, args, interrupt.signal));
      // stdout carries the connection string alone, so DB=$(ditto up) works.
      if (args.json) printJson(copyJson(copy));
      else say(copy.connectionString);
    } finally {
      interrupt.dispose();
    }
  },
};
