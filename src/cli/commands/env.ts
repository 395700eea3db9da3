import type { Argv, CommandModule } from 'yargs';
import { withClient, interruptSignal, type GlobalArgs } from '../context.js';
import { exportLines, shellCommand, type Shell } from '../../support/shell-quote.js';
import { DittoError } from '../../errors.js';
import { issueCopy, withUpFlags, type UpFlags } from './up-flags.js';
import { say } from '../output.js';

type Args = GlobalArgs & UpFlags & { shell: Shell; '--'?: string[] };

export const envCommand: CommandModule<GlobalArgs, Args> = {
  command: 'env',
  describe: 'get a copy and print shell lines exporting DATABASE_URL and DITTO_COPY_ID: eval "$(ditto env)"',
  builder: (y: Argv<GlobalArgs>) =>
    withUpFlags(y).option('shell', { choices: ['sh', 'fish'] as const, default: 'sh' as Shell, describe: 'the shell to print for' }) as Argv<Args>,
  handler: async (args) => {
    // A command after `--` would run without the copy ever being destroyed: that is `ditto run`.
    if (args['--']?.length) {
      throw new DittoError('BAD_INPUT', `ditto env runs no command (it prints exports); nothing was made`, { hint: `use ditto run -- ${shellCommand(args['--'].map(String))}` });
    }
    const interrupt = interruptSignal();
    try {
      const copy = await withClient(args, (client) => issueCopy(client, args, interrupt.signal));
      say(exportLines({ DATABASE_URL: copy.connectionString, DITTO_COPY_ID: copy.id }, args.shell));
    } finally {
      interrupt.dispose();
    }
  },
};
