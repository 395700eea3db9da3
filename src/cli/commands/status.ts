import type { Argv, CommandModule } from 'yargs';
import type { DumpSubset, StatusReport } from '../../model/copy-client.js';
import { formatDuration } from '../../config/duration.js';
import { formatBytes } from '../../support/byte-size.js';
import { withClient, type GlobalArgs } from '../context.js';
import { printJson, say } from '../output.js';

type Args = GlobalArgs & { json?: boolean };

export const statusCommand: CommandModule<GlobalArgs, Args> = {
  command: 'status',
  describe: 'runtime in use, dump freshness, pool, free ports, active copies',
  builder: (y: Argv<GlobalArgs>) => y.option('json', { type: 'boolean', describe: 'print JSON' }) as Argv<Args>,
  handler: async (args) => {
    const report = await withClient(args, (client) => client.status());
    if (args.json) return printJson(report);
    say(renderStatus(report).trimEnd());
  },
};

export function renderStatus(r: StatusReport): string {
  const lines = [
    ['version', r.version],
    ['runtime', `${r.runtime.name} (${r.runtime.reason})`],
    ['', r.runtime.detail],
    ['dump', describeDump(r.dump)],
    ...(r.dump.subset ? [['subset', describeSubset(r.dump.subset)]] : []),
    ['pool', `${r.pool.ready}/${r.pool.target} warm copies ready`],
    ['ports', `${r.ports.free} free of ${r.ports.min}-${r.ports.max}`],
    ['copies', `${r.copies.active} active, ${r.copies.provisioning} being made`],
    ...(r.golden !== undefined ? [['golden', r.golden ? `${r.golden.key} (${r.golden.bytes === null ? 'size unknown' : formatBytes(r.golden.bytes)})` : 'none yet (the next up makes it)']] : []),
    ...(r.prepare ? [['prepare', `${r.prepare.command} (${r.prepare.files} input files, sha256 ${r.prepare.inputsHash.slice(0, 12)}): ${r.prepare.snapshot ? `snapshot ${r.prepare.snapshot}` : 'no snapshot yet (the next up makes it)'}`]] : []),
  ];
  return lines.map(([k, v]) => `${k!.padEnd(8)}${v}`).join('\n') + '\n';
}

function describeSubset(s: DumpSubset): string {
  const kept = s.tables.reduce((sum, t) => sum + t.rows, 0);
  const total = s.tables.reduce((sum, t) => sum + t.total, 0);
  return `${kept} of ${total} rows kept, in ${s.tables.length} tables (\`ditto status --json\` lists them)`;
}

function describeDump(d: StatusReport['dump']): string {
  if (!d.path) return 'none configured: copies are empty databases (`ditto reseed --source URL` makes one)';
  if (d.ageSeconds === null) return `${d.path} (missing: \`ditto reseed\` makes it)`;
  const stale = d.stale ? `; STALE: older than ${formatDuration(d.staleThresholdSeconds)}, run \`ditto reseed\`` : '';
  return `${d.path} (${formatDuration(d.ageSeconds)} old${stale})`;
}
