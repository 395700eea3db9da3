import type { Argv, CommandModule } from 'yargs';
import { DittoError } from '../../errors.js';
import { formatBytes, parseByteSize } from '../../support/byte-size.js';
import type { LoadedConfig } from '../../config/locate.js';
import { loadFor, type GlobalArgs } from '../context.js';
import { note, printJson, say } from '../output.js';

type InitArgs = GlobalArgs & { size: string; path?: string };
type StatusArgs = GlobalArgs & { json?: boolean };
type RemoveArgs = GlobalArgs & { force?: boolean };

// Loaded by the subcommands only: no other command pays for them.
const storageImage = () => import('../../runtimes/local/storage-image.js');
const registry = () => import('../../runtimes/registry.js');

/** How copies clone in the data directory, as the local runtime says it. */
async function cloneWhy(loaded: LoadedConfig): Promise<string> {
  const { composeShared } = await import('../../compose.js');
  const local = await composeShared(loaded).runtimes.get('local');
  return (await local.snapshots!.cloneMethod()).why;
}

const init: CommandModule<GlobalArgs, InitArgs> = {
  command: 'init',
  describe: 'make an XFS image with reflink and mount it at the data directory, so copies clone by block (root)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .option('size', { type: 'string', demandOption: true, describe: 'the largest the image grows to (sparse): 100G, 500GiB' })
      .option('path', { type: 'string', describe: 'the image file (default: <home>/storage.img)' }) as Argv<InitArgs>,
  handler: async (args) => {
    const { defaultImage, initStorage, requireRoot } = await storageImage();
    requireRoot('storage init', 'it makes a filesystem and mounts it');
    const size = parseByteSize(args.size);
    if (size === null) throw new DittoError('BAD_INPUT', `--size: expected a size like 100G or 500GiB; got '${args.size}'`);
    const loaded = await loadFor(args);
    const { localRoot } = await registry();
    const record = initStorage(loaded.home, localRoot(loaded.config, loaded.home), size, args.path ?? defaultImage(loaded.home));
    note(`made ${record.image} (XFS, up to ${formatBytes(size)}) and mounted it at ${record.mountPoint}`);
    note(`copies clone by ${await cloneWhy(loaded)}`);
  },
};

const status: CommandModule<GlobalArgs, StatusArgs> = {
  command: 'status',
  describe: "the data directory's storage image: size, space used and free, how copies clone there",
  builder: (y: Argv<GlobalArgs>) => y.option('json', { type: 'boolean', describe: 'print JSON' }) as Argv<StatusArgs>,
  handler: async (args) => {
    const { describeSpace, ensureStorageMounted, storageReport } = await storageImage();
    const loaded = await loadFor(args);
    // As any command would: mounted again if it is gone.
    if (process.getuid?.() === 0) ensureStorageMounted(loaded.home);
    const report = storageReport(loaded.home);
    const clones = await cloneWhy(loaded);
    if (args.json) return printJson({ ...report, clones });
    if (!report) {
      const { localRoot } = await registry();
      say(`no storage image: the data directory ${localRoot(loaded.config, loaded.home)} is on the disk it is on\nclones   ${clones}`);
      return;
    }
    say(
      [
        `image    ${report.image} (${report.imageBytes === null ? 'missing' : `${formatBytes(report.imageBytes)} on disk`})`,
        `mounted  ${report.mounted ? `at ${report.mountPoint}` : `no: ${report.mountPoint}`}`,
        `space    ${describeSpace(report)}`,
        `clones   ${clones}`,
      ].join('\n'),
    );
  },
};

const remove: CommandModule<GlobalArgs, RemoveArgs> = {
  command: 'remove',
  describe: 'unmount the storage image and delete it (root); refused while copies or snapshots are in it, unless --force',
  builder: (y: Argv<GlobalArgs>) => y.option('force', { type: 'boolean', describe: "remove the copies and snapshots in it too (stops their servers)" }) as Argv<RemoveArgs>,
  handler: async (args) => {
    const { removeStorage, requireRoot } = await storageImage();
    requireRoot('storage remove', 'it unmounts a filesystem');
    const loaded = await loadFor(args);
    const { clearLocalData } = await registry();
    const record = await removeStorage(loaded.home, args.force ? () => clearLocalData(loaded.config, loaded.home) : null);
    note(`unmounted ${record.mountPoint} and deleted ${record.image}`);
  },
};

export const storageCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'storage <command>',
  describe: 'a data directory that clones by block on any disk: an XFS image loop-mounted there (init, status, remove)',
  builder: (y: Argv<GlobalArgs>) => y.command(init).command(status).command(remove).demandCommand(1, 'name a storage command: init, status or remove'),
  handler: () => {},
};
