import { isSingleExecutable } from '../runtime-env/sea.js';

/**
 * The argv prefix that runs this ditto again: the executable alone when ditto is the single
 * executable, else node and the bundled script. The detached maintainer is started this way, so
 * it is the same ditto, never whatever `node` or `ditto` PATH finds.
 */
export function selfCommand(): string[] {
  if (isSingleExecutable()) return [process.execPath];
  return [process.execPath, ...process.execArgv, process.argv[1]!];
}
