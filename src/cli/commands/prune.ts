import type { CommandModule } from 'yargs';
import { withLocalCopies, type GlobalArgs } from '../context.js';
import { note } from '../output.js';

export const pruneCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'prune',
  describe: 'remove golden snapshots no copy uses (the next copy of a dump restores it again)',
  handler: async (args) => {
    const removed = await withLocalCopies(args, { actor: 'cli', spawnMaintainer: false }, (copies) => copies.goldens.collect({ all: true }));
    note(`removed ${removed.length} golden ${removed.length === 1 ? 'snapshot' : 'snapshots'}`);
  },
};
