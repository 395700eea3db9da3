import type { Argv, CommandModule } from 'yargs';
import { DittoError } from '../../errors.js';
import { interruptSignal, loadFor, remoteUrl, type GlobalArgs } from '../context.js';
import { note, printJson, say } from '../output.js';
import { withProgress } from '../progress.js';

type Args = GlobalArgs & { source?: string | undefined; from?: string | undefined; json?: boolean | undefined };

export const reseedCommand: CommandModule<GlobalArgs, Args> = {
  command: 'reseed',
  describe: 'make a fresh dump of the source (obfuscated if rules exist), atomically replace the current one',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .option('source', { type: 'string', describe: 'the database URL to dump, e.g. postgresql://... (default: source.url in config)' })
      .option('from', { type: 'string', describe: 'take this dump file (custom or SQL) instead of a live source' })
      .option('json', { type: 'boolean', describe: 'print the result as JSON' })
      .conflicts('source', 'from') as Argv<Args>,
  handler: async (args) => {
    // The dump belongs to the machine that serves copies from it: a host reseeds its own.
    if (remoteUrl(args)) {
      throw new DittoError('BAD_INPUT', '`ditto reseed` replaces this machine\'s dump and does not go through a ditto host', {
        hint: 'run it on the host, or without --remote / DITTO_SERVER',
      });
    }
    const loaded = await loadFor(args);
    const [{ composeShared, openHome }, { reseed }, { formatBytes }, { formatDuration }] = await Promise.all([
      import('../../compose.js'),
      import('../../reseed/reseed.js'),
      import('../../support/byte-size.js'),
      import('../../config/duration.js'),
    ]);
    const shared = composeShared(loaded);
    const copies = openHome(shared, { actor: 'cli', spawnMaintainer: true });
    const interrupt = interruptSignal();
    try {
      const result = await withProgress(
        'Reseeding',
        process.stderr.isTTY === true,
        (onProgress) => reseed({ copies, engines: shared.engines, runtimes: shared.runtimes, onProgress, signal: interrupt.signal, onHookProblem: (line) => note(`warning: ${line}`) }, { source: args.source, from: args.from }),
        (r) => `Dump replaced in ${formatDuration(r.durationMs / 1000)}`,
      );
      if (args.json) {
        return printJson({ path: result.path, sha256: result.sha256, size: result.size, source: result.source, obfuscated: result.obfuscated, duration_ms: result.durationMs });
      }
      const scrubbed = result.obfuscated ? `, ${result.obfuscated.columns} column(s) in ${result.obfuscated.tables} table(s) obfuscated` : '';
      say(`${result.path} (${formatBytes(result.size)}, sha256 ${result.sha256.slice(0, 12)}) from ${result.source}${scrubbed}`);
      for (const warning of result.obfuscated?.warnings ?? []) note(`warning: ${warning}`);
    } finally {
      interrupt.dispose();
      await copies.manager.close();
    }
  },
};
