import type { Argv, CommandModule } from 'yargs';
import { copyJson } from '../../api/wire.js';
import { formatDuration, parseDuration } from '../../config/duration.js';
import { withClient, type GlobalArgs } from '../context.js';
import { printJson, say } from '../output.js';
import { copyIdArg } from './copy-id.js';

type Args = GlobalArgs & { id?: string; ttl: string; json?: boolean };

export const extendCommand: CommandModule<GlobalArgs, Args> = {
  command: 'extend [id]',
  describe: "give a copy more time: it expires --ttl from now (default copy: $DITTO_COPY_ID)",
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('id', { type: 'string', describe: 'copy id' })
      .option('ttl', { type: 'string', demandOption: true, describe: 'the new lifetime, from now: 90s, 15m, 2h, 1d' })
      .option('json', { type: 'boolean', describe: 'print JSON' }) as Argv<Args>,
  handler: async (args) => {
    const ttl = parseDuration(args.ttl, 'TTL');
    const copy = await withClient(args, (client) => client.extend(copyIdArg(args.id), ttl));
    if (args.json) return printJson(copyJson(copy));
    say(`${copy.id} expires in ${formatDuration(ttl)} (${new Date(copy.expiresAt!).toISOString()})`);
  },
};
