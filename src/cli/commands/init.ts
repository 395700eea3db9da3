import fs from 'node:fs';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { STARTER_CONFIG } from '../../config/starter.js';
import { DittoError } from '../../errors.js';
import type { GlobalArgs } from '../context.js';
import { note, say } from '../output.js';

type Args = GlobalArgs & { file: string; force?: boolean; migrate?: string };

export const initCommand: CommandModule<GlobalArgs, Args> = {
  command: 'init [file]',
  describe: "write a commented starter ditto.yaml, or (--migrate OLD) the established ditto's config in this one's keys",
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('file', { type: 'string', default: 'ditto.yaml', describe: 'where to write it' })
      .option('force', { type: 'boolean', describe: 'replace an existing file' })
      .option('migrate', { type: 'string', describe: "an established ditto's ditto.yaml to translate" }) as Argv<Args>,
  handler: async (args) => {
    const file = path.resolve(String(args.file));
    if (args.migrate !== undefined) {
      const { migratedConfig } = await import('../../config/load.js');
      const { text, notices } = migratedConfig(path.resolve(String(args.migrate)));
      writeStarter(file, args.force === true, text);
      say(`wrote ${file}`);
      note(`${notices.length} key${notices.length === 1 ? '' : 's'} of the established ditto translated; check it with \`ditto doctor\``);
      return;
    }
    writeStarter(file, args.force === true);
    say(`wrote ${file}`);
    note('next: edit it (dump.path gives copies your data), then run `ditto doctor`');
  },
};

/** Writes the starter config (or `content`): never over an existing file unless forced, never half a file. */
export function writeStarter(file: string, force: boolean, content: string = STARTER_CONFIG): void {
  const exists = () => new DittoError('CONFLICT', `${file} already exists`, { hint: 'edit it, or pass --force to replace it with the starter' });
  if (!force && fs.existsSync(file)) throw exists();
  // A name of its own for this write (O_EXCL below refuses a clash); it need not be unguessable.
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  try {
    if (force) {
      // Replacing: write aside and rename, so the old file stays whole until the new one is.
      fs.writeFileSync(tmp, content, { mode: 0o644, flag: 'wx' });
      fs.renameSync(tmp, file);
    } else {
      // O_EXCL: a file created since the check above is not replaced.
      fs.writeFileSync(file, content, { mode: 0o644, flag: 'wx' });
    }
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw exists();
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? `${path.dirname(file)} does not exist` : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message;
    throw new DittoError('BAD_INPUT', `cannot write ${file}: ${reason}`, { hint: 'write it into an existing directory you can write to' });
  }
}
