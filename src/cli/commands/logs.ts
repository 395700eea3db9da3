import type { Argv, CommandModule } from 'yargs';
import { withClient, type GlobalArgs } from '../context.js';
import { eventJson } from '../../api/wire.js';
import { printJson, say } from '../output.js';

type Args = GlobalArgs & { id: string; json?: boolean };

export const logsCommand: CommandModule<GlobalArgs, Args> = {
  command: 'logs <id>',
  describe: "a copy's lifecycle events",
  builder: (y: Argv<GlobalArgs>) =>
    y.positional('id', { type: 'string', demandOption: true, describe: 'copy id' }).option('json', { type: 'boolean', describe: 'print JSON' }) as Argv<Args>,
  handler: async (args) => {
    const events = await withClient(args, (client) => client.events(String(args.id)));
    if (args.json) return printJson(events.map(eventJson));
    for (const event of events) {
      const details = Object.entries(event.metadata)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      say(`${new Date(event.createdAt).toISOString()}  ${event.action.padEnd(10)}  ${event.actor.padEnd(10)}  ${details}`.trimEnd());
    }
  },
};
