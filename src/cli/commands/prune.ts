import type { CommandModule } from 'yargs';
import { createLocalClient } from '../../client/local-client.js';
import { loadFor, type GlobalArgs } from '../context.js';
import { note } from '../output.js';

export const pruneCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'prune',
  describe: 'remove golden snapshots no copy uses (the next copy of a dump restores it again)',
  handler: async (args) => {
    const manager = createLocalClient(loadFor(args), 'cli');
    try {
      const removed = await manager.collectGoldens({ all: true });
      note(`removed ${removed.length} golden ${removed.length === 1 ? 'snapshot' : 'snapshots'}`);
    } finally {
      await manager.close();
    }
  },
};
