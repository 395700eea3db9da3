import type { CommandModule } from 'yargs';
import { DittoError } from '../../errors.js';
import { withLocalCopies, type GlobalArgs } from '../context.js';
import { note } from '../output.js';

export const pruneCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'prune',
  describe: 'remove golden snapshots no copy uses (the next copy of a dump restores it again), and what removed homes left behind',
  handler: async (args) => {
    const { snapshots, gone } = await withLocalCopies(args, { actor: 'cli', spawnMaintainer: false }, async (copies) => ({
      snapshots: await copies.goldens.collect({ all: true }),
      gone: await copies.upkeep.sweepGoneHomes(),
    }));
    note(`removed ${snapshots.length} golden ${snapshots.length === 1 ? 'snapshot' : 'snapshots'}`);
    for (const leftover of gone.removed) note(`removed ${leftover.what} of removed home ${leftover.homes.join(', ')}`);
    if (gone.failures.length > 0) {
      throw new DittoError('INTERNAL', `could not remove all that removed homes left: ${gone.failures.join('; ')}`, { hint: '`ditto doctor` lists what is left' });
    }
  },
};
