import fs from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { DittoError } from '../../errors.js';
import { interruptSignal, loadFor, remoteUrl, type GlobalArgs } from '../context.js';
import { note } from '../output.js';
import { withProgress } from '../progress.js';

type Args = GlobalArgs & { id?: string; source?: string; format: string; output?: string };

/** The formats `--format` takes (the diagram module's list, kept here so that start-up loads no renderer). */
const FORMATS = ['mermaid', 'dbml'] as const;

export const erdCommand: CommandModule<GlobalArgs, Args> = {
  command: 'erd [id]',
  describe: "the schema's entity-relationship diagram: of a copy, of --source URL, or (default) of the current dump",
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('id', { type: 'string', describe: 'a copy of this machine (default: the current dump, through a scratch copy)' })
      .option('source', { type: 'string', describe: 'a database URL (or env:NAME, file:PATH) to draw instead' })
      .option('format', { type: 'string', default: 'mermaid', describe: 'mermaid (an erDiagram) or dbml' })
      .option('output', { type: 'string', describe: 'write the diagram to this file (default: stdout)' }) as Argv<Args>,
  handler: async (args) => {
    const format = FORMATS.find((f) => f === args.format);
    if (!format) throw new DittoError('BAD_INPUT', `--format is mermaid or dbml, not '${args.format}'`);
    // A host hands out no copy's password after making it, and keeps its dump to itself: both are drawn where they live.
    if (remoteUrl(args) && args.source === undefined) {
      throw new DittoError('BAD_INPUT', '`ditto erd` draws a copy or the dump of this machine, not through a ditto host', {
        hint: "give --source with the copy's connection string (what `ditto up` printed), or run it on the host",
      });
    }
    const loaded = await loadFor(args);
    const [{ composeShared, openHome }, { erd }] = await Promise.all([import('../../compose.js'), import('../../reseed/erd.js')]);
    const shared = composeShared(loaded);
    const copies = openHome(shared, { actor: 'cli', spawnMaintainer: args.id === undefined && args.source === undefined });
    const interrupt = interruptSignal();
    try {
      const id = args.id === undefined ? undefined : String(args.id);
      const result = await withProgress(
        'Drawing the schema',
        process.stderr.isTTY === true,
        (onProgress) => erd({ copies, engines: shared.engines, onProgress, signal: interrupt.signal }, { id, source: args.source, format }),
        (r) => `${r.tables} tables, ${r.foreignKeys} foreign keys`,
      );
      if (args.output === undefined) return void process.stdout.write(result.text);
      fs.writeFileSync(args.output, result.text);
      note(`${args.output}: ${format} diagram of ${result.from} (${result.tables} tables, ${result.foreignKeys} foreign keys)`);
    } finally {
      interrupt.dispose();
      await copies.manager.close();
    }
  },
};
