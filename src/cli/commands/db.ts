import type { Argv, CommandModule } from 'yargs';
import { testDatabaseWire } from '../../api/wire.js';
import { withClient, type GlobalArgs } from '../context.js';
import { printJson, say } from '../output.js';
import { copyIdArg } from './copy-id.js';

type NewArgs = GlobalArgs & { id?: string; json?: boolean };
type DropArgs = GlobalArgs & { names: string[] };

const create: CommandModule<GlobalArgs, NewArgs> = {
  command: 'new [id]',
  describe: "a new database in a copy, cloned from its starting data, for one test; prints its connection string (default copy: $DITTO_COPY_ID)",
  builder: (y: Argv<GlobalArgs>) =>
    y.positional('id', { type: 'string', describe: 'copy id' }).option('json', { type: 'boolean', describe: 'print JSON' }) as Argv<NewArgs>,
  handler: async (args) => {
    const db = await withClient(args, (client) => client.createDatabase(copyIdArg(args.id)));
    if (args.json) return printJson(testDatabaseWire(db));
    say(db.connectionString);
  },
};

const drop: CommandModule<GlobalArgs, DropArgs> = {
  command: 'drop <names..>',
  describe: 'drop a per-test database: `ditto db drop [COPY] NAME` (default copy: $DITTO_COPY_ID)',
  builder: (y: Argv<GlobalArgs>) => y.positional('names', { type: 'string', array: true, demandOption: true, describe: '[copy id] database name' }) as Argv<DropArgs>,
  handler: async (args) => {
    const words = args.names.map(String);
    const [id, name] = words.length >= 2 ? [words[0], words[1]!] : [undefined, words[0]!];
    await withClient(args, (client) => client.dropDatabase(copyIdArg(id), name));
    say(`dropped ${name}`);
  },
};

export const dbCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'db <command>',
  describe: 'per-test databases inside a copy (PostgreSQL): new, drop',
  builder: (y: Argv<GlobalArgs>) => y.command(create).command(drop).demandCommand(1, 'name a db command: new or drop'),
  handler: () => {},
};
