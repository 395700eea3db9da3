import type { Argv, CommandModule } from 'yargs';
import { DittoError } from '../../errors.js';
import { checkCopyName } from '../../model/copy-name.js';
import { withClient, type GlobalArgs } from '../context.js';
import { note, say } from '../output.js';

type Args = GlobalArgs & { ids?: string[]; all?: boolean; label?: string; runId?: string; name?: string };

export const downCommand: CommandModule<GlobalArgs, Args> = {
  command: 'down [ids..]',
  describe: 'destroy copies: by id, --all, --label, --run-id or --name',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('ids', { type: 'string', array: true, describe: 'copy ids (or unambiguous prefixes)' })
      .option('all', { type: 'boolean', describe: 'destroy every copy' })
      .option('label', { type: 'string', describe: 'destroy the copies with this label' })
      .option('run-id', { type: 'string', describe: 'destroy the copies made for this CI run (ls shows run ids)' })
      .option('name', { type: 'string', describe: 'destroy your copy of this name (up --name)' }) as Argv<Args>,
  handler: async (args) => {
    const ids = (args.ids ?? []).map(String);
    const ways = [ids.length > 0, args.all === true, args.label !== undefined, args.runId !== undefined, args.name !== undefined].filter(Boolean).length;
    if (ways !== 1) {
      throw new DittoError('BAD_INPUT', 'say which copies to destroy: ids, --all, --label L, --run-id ID or --name NAME (one of them)');
    }
    const selector = {
      ...(ids.length ? { ids } : {}),
      ...(args.all ? { all: true } : {}),
      ...(args.label !== undefined ? { label: args.label } : {}),
      ...(args.runId !== undefined ? { runId: String(args.runId) } : {}),
      // Checked here too: a host answers a name that is none with no copy, not an error.
      ...(args.name !== undefined ? { name: checkCopyName(String(args.name)) } : {}),
    };
    const result = await withClient(args, (client) => client.down(selector));
    for (const copy of result.destroyed) say(`destroyed ${copy.id}`);
    for (const id of result.alreadyGone) note(`${id} was already destroyed`);
    if (result.destroyed.length === 0 && result.alreadyGone.length === 0) note('no copies to destroy');
  },
};
