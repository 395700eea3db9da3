import type { Argv, CommandModule } from 'yargs';
import { DittoError } from '../../errors.js';
import { interruptSignal, loadFor, remoteUrl, type GlobalArgs } from '../context.js';
import type { SubsetReport } from '../../engines/subset-plan.js';
import { note, printJson, say, table } from '../output.js';
import { withProgress } from '../progress.js';

type Args = GlobalArgs & { source?: string | undefined; from?: string | undefined; json?: boolean | undefined; dryRun?: boolean | undefined; classify?: boolean | undefined };

export const reseedCommand: CommandModule<GlobalArgs, Args> = {
  command: 'reseed',
  describe: 'make a fresh dump of the source (obfuscated if rules exist), atomically replace the current one',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .option('source', { type: 'string', describe: 'the database URL to dump, e.g. postgresql://... (default: source.url in config)' })
      .option('from', { type: 'string', describe: 'take this dump file (custom or SQL) instead of a live source' })
      .option('json', { type: 'boolean', describe: 'print the result as JSON' })
      .option('dry-run', { type: 'boolean', describe: 'print what dump.subset would keep of each table, in the plan\'s order, and write nothing' })
      .option('classify', { type: 'boolean', describe: 'print, as YAML for obfuscate.keep, the source columns no obfuscate rule or keep pattern covers, and write nothing' })
      .conflicts('source', 'from')
      .conflicts('classify', ['from', 'dry-run'])
      .conflicts('dry-run', 'from') as Argv<Args>,
  handler: async (args) => {
    // The dump belongs to the machine that serves copies from it: a host reseeds its own.
    if (remoteUrl(args)) {
      throw new DittoError('BAD_INPUT', '`ditto reseed` replaces this machine\'s dump and does not go through a ditto host', {
        hint: 'run it on the host, or without --remote / DITTO_SERVER',
      });
    }
    const loaded = await loadFor(args);
    const [{ composeShared, openHome }, { reseed, previewSubset, classifyColumns }, { formatBytes }, { formatDuration }] = await Promise.all([
      import('../../compose.js'),
      import('../../reseed/reseed.js'),
      import('../../support/byte-size.js'),
      import('../../config/duration.js'),
    ]);
    const shared = composeShared(loaded);
    const copies = openHome(shared, { actor: 'cli', spawnMaintainer: true });
    const interrupt = interruptSignal();
    try {
      const ctx = { copies, engines: shared.engines, runtimes: shared.runtimes, signal: interrupt.signal, onHookProblem: (line: string) => note(`warning: ${line}`) };
      if (args.classify) {
        const { columns } = await classifyColumns(ctx, { source: args.source });
        if (args.json) return printJson({ columns: columns.map((c) => c.shown) });
        const { stringify } = await import('yaml');
        // Ready to paste: each column kept as it is, unless it moves to obfuscate.rules instead.
        say(columns.length === 0 ? '# every source column is under an obfuscate rule or an obfuscate.keep pattern' : stringify({ obfuscate: { keep: columns.map((c) => c.shown) } }).trimEnd());
        return;
      }
      if (args.dryRun) {
        const preview = await previewSubset(ctx, { source: args.source });
        if (args.json) return printJson({ source: preview.source, subset: preview.report });
        say(subsetTable(preview.report, `Subset of ${preview.source} (nothing written)`));
        return;
      }
      const result = await withProgress(
        'Reseeding',
        process.stderr.isTTY === true,
        (onProgress) => reseed({ ...ctx, onProgress }, { source: args.source, from: args.from }),
        (r) => `Dump replaced in ${formatDuration(r.durationMs / 1000)}`,
      );
      if (args.json) {
        return printJson({ path: result.path, sha256: result.sha256, size: result.size, source: result.source, obfuscated: result.obfuscated, subset: result.subset, duration_ms: result.durationMs });
      }
      const scrubbed = result.obfuscated ? `, ${result.obfuscated.columns} column(s) in ${result.obfuscated.tables} table(s) obfuscated` : '';
      say(`${result.path} (${formatBytes(result.size)}, sha256 ${result.sha256.slice(0, 12)}) from ${result.source}${scrubbed}`);
      for (const warning of result.obfuscated?.warnings ?? []) note(`warning: ${warning}`);
      if (result.subset) say(subsetTable(result.subset, 'Subset'));
    } finally {
      interrupt.dispose();
      await copies.manager.close();
    }
  },
};

/** What a subset kept of each table, in the plan's order (the order its rows were chosen in). */
function subsetTable(report: SubsetReport, title: string): string {
  const rows = report.tables.map((t, i) => [String(i + 1), t.table, t.role, String(t.rows), String(t.total)]);
  const kept = report.tables.reduce((sum, t) => sum + t.rows, 0);
  const total = report.tables.reduce((sum, t) => sum + t.total, 0);
  const rounds = `${report.rounds} round${report.rounds === 1 ? '' : 's'}`;
  return `${title}: ${kept} of ${total} rows in ${report.tables.length} tables, fixed point after ${rounds}\n${table(['#', 'TABLE', 'KEPT BY', 'ROWS', 'OF'], rows).trimEnd()}`;
}
