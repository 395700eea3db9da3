import type { Argv, CommandModule } from 'yargs';
import { DittoError } from '../../errors.js';
import { interruptSignal, loadFor, remoteUrl, type GlobalArgs } from '../context.js';
import { printJson, say } from '../output.js';
import { withProgress } from '../progress.js';

type RefreshArgs = GlobalArgs & { name: string; confirm?: boolean; 'dry-run'?: boolean; json?: boolean };

const refresh: CommandModule<GlobalArgs, RefreshArgs> = {
  command: 'refresh <name>',
  describe: "replace a target's contents with the current dump, obfuscated when rules exist",
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'a name under targets: in ditto.yaml' })
      .option('confirm', { type: 'boolean', describe: 'replace it without asking' })
      .option('dry-run', { type: 'boolean', describe: 'say what would happen; change nothing' })
      .option('json', { type: 'boolean', describe: 'print the result as JSON' }) as Argv<RefreshArgs>,
  handler: async (args) => {
    if (remoteUrl(args)) {
      throw new DittoError('BAD_INPUT', '`ditto target refresh` runs where the dump is, not through a ditto host', {
        hint: 'run it on the host, or ask the host with an admin token: POST /v2/targets/NAME/refresh',
      });
    }
    const loaded = await loadFor(args);
    const [{ composeShared, openHome }, { refreshTarget }, { targetRefreshWire }] = await Promise.all([
      import('../../compose.js'),
      import('../../reseed/targets.js'),
      import('../../api/targets.js'),
    ]);
    const shared = composeShared(loaded);
    const copies = openHome(shared, { actor: 'cli', spawnMaintainer: true });
    const interrupt = interruptSignal();
    const name = String(args.name);
    try {
      const confirm = async (plan: string[]) => args.confirm === true || (await askOnTerminal(plan));
      const result = await withProgress(
        `Refreshing target ${name}`,
        process.stderr.isTTY === true && !args['dry-run'] && args.confirm === true,
        (onProgress) => refreshTarget({ copies, engines: shared.engines, runtimes: shared.runtimes, onProgress, signal: interrupt.signal }, { name, dryRun: args['dry-run'], confirm }),
        (r) => `Target ${r.target} refreshed in ${(r.durationMs / 1000).toFixed(1)}s`,
      );
      if (args.json) return printJson(targetRefreshWire(result));
      if (result.dryRun) return say(`dry run: nothing changed; a refresh would\n${result.plan.map((l) => `  ${l}`).join('\n')}`);
      const scrubbed = result.obfuscated ? `, ${result.obfuscated.columns} column(s) in ${result.obfuscated.tables} table(s) obfuscated` : '';
      say(`target ${result.target} (${result.url}) refreshed from ${result.dump}${scrubbed}`);
    } finally {
      interrupt.dispose();
      await copies.manager.close();
    }
  },
};

/** On a terminal, what will happen and a yes/no question on stderr; elsewhere there is nobody to ask, so no. */
async function askOnTerminal(plan: string[]): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  const readline = await import('node:readline/promises');
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    process.stderr.write(`This will\n${plan.map((l) => `  ${l}\n`).join('')}`);
    return /^y(es)?$/i.test((await rl.question('Go ahead? [y/N] ')).trim());
  } finally {
    rl.close();
  }
}

export const targetCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'target <command>',
  describe: 'long-lived databases ditto does not own (targets: in ditto.yaml): refresh',
  builder: (y: Argv<GlobalArgs>) => y.command(refresh).demandCommand(1, 'name a target command: refresh'),
  handler: () => {},
};
