import type { Argv, CommandModule } from 'yargs';
import { withClient, type GlobalArgs } from '../context.js';
import { copyJson } from '../../api/wire.js';
import { formatBytes } from '../../support/byte-size.js';
import { age, note, printJson, statusLabel, table, ttlLeft } from '../output.js';

type Args = GlobalArgs & { all?: boolean; json?: boolean };

export const lsCommand: CommandModule<GlobalArgs, Args> = {
  command: 'ls',
  describe: 'list copies: status, age, TTL left, port, disk each owns, label, name, CI run and job',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .option('all', { type: 'boolean', describe: 'include destroyed and failed copies' })
      .option('json', { type: 'boolean', describe: 'print JSON' }) as Argv<Args>,
  handler: async (args) => {
    const copies = await withClient(args, (client) => client.list({ all: args.all ?? false, diskBytes: true }));
    if (args.json) return printJson(copies.map(copyJson));
    if (copies.length === 0) return note(args.all ? 'no copies' : 'no active copies (ditto ls --all shows past ones)');
    const now = Date.now();
    // The CI run and job show only when some copy was made in one; the owner when some copy has one (a host's admin).
    const runs = copies.some((c) => c.runId !== null || c.jobName !== null);
    const owners = copies.some((c) => c.owner !== null && c.owner !== undefined);
    const names = copies.some((c) => c.name !== null);
    const rows = copies.map((c) => [
      c.id, statusLabel(c), age(c.createdAt, now), ttlLeft(c, now), c.port === null ? '-' : String(c.port), c.diskBytes === null ? '-' : formatBytes(c.diskBytes), c.runtime, c.label ?? '',
      ...(names ? [c.name ?? ''] : []),
      ...(owners ? [c.owner ?? ''] : []),
      ...(runs ? [c.runId ?? '', c.jobName ?? ''] : []),
      c.status === 'failed' ? (c.errorMessage ?? '') : '',
    ]);
    process.stdout.write(table(['ID', 'STATUS', 'AGE', 'TTL LEFT', 'PORT', 'SIZE', 'RUNTIME', 'LABEL', ...(names ? ['NAME'] : []), ...(owners ? ['OWNER'] : []), ...(runs ? ['RUN', 'JOB'] : []), 'ERROR'], rows));
  },
};
