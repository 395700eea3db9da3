import type * as LoadModule from '../../config/load.js';
import type * as CopiesRepoModule from '../../state/copies-repo.js';
import type * as StoreModule from '../../state/store.js';

/**
 * Shell completion: yargs prints the script (`ditto completion >> ~/.bashrc`; zsh when $SHELL is
 * zsh) and answers the script's `--get-yargs-completions` calls. Commands and options complete
 * from the parser; `down` and `logs` also complete the ids of this home's copies.
 */
export const COMPLETION_COMMAND = 'completion';
export const COMPLETION_DESCRIBE = 'print a shell completion script: ditto completion >> ~/.bashrc (or ~/.zshrc)';

type Done = (completions: string[]) => void;
type Default = (onCompleted?: (err: Error | null, completions: string[] | undefined) => void) => void;
interface CompletionArgv {
  _: (string | number)[];
  home?: string;
  config?: string;
}

const TAKES_IDS = new Set(['down', 'logs']);

export function completeWords(current: string, argv: CompletionArgv, defaultCompletion: Default, done: Done): void {
  // The script passes the program name too: the command is the first word that names one.
  const command = argv._.map(String).find((word) => TAKES_IDS.has(word));
  if (!command || current.startsWith('-')) return defaultCompletion();
  let ids: string[] = [];
  try {
    ids = copyIds(argv);
  } catch {
    // No state, a bad config: nothing to offer, and a completion must never print an error.
  }
  done(ids.filter((id) => id.startsWith(current)));
}

/**
 * Ids of the live, non-pool copies in the selected home. Synchronous on purpose: yargs does not
 * wait for an asynchronous completion before the process exits. The state modules are required
 * here, not imported at the top, so config parsing and SQLite stay off every other command's start-up path (the
 * bundle turns this require into a lazy, synchronous load of the bundled module).
 */
function copyIds(argv: CompletionArgv): string[] {
  const { loadConfig } = require('../../config/load.js') as typeof LoadModule;
  const { openState } = require('../../state/store.js') as typeof StoreModule;
  const { CopiesRepo } = require('../../state/copies-repo.js') as typeof CopiesRepoModule;
  const loaded = loadConfig({ configPath: argv.config, home: argv.home });
  const db = openState(loaded.home);
  try {
    return new CopiesRepo(db).list().filter((c) => !c.warm).map((c) => c.id);
  } finally {
    db.close();
  }
}
