import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DittoError, asDittoError } from '../errors.js';
import { quietLibraryDeprecations } from '../runtime-env/warnings.js';
import { VERSION } from '../version.js';
import { COMPLETION_COMMAND, COMPLETION_DESCRIBE, completeWords } from './commands/completion.js';
import { doctorCommand } from './commands/doctor.js';
import { downCommand } from './commands/down.js';
import { envCommand } from './commands/env.js';
import { hostCommand } from './commands/host.js';
import { initCommand } from './commands/init.js';
import { logsCommand } from './commands/logs.js';
import { extendCommand } from './commands/extend.js';
import { translateLegacyCommand } from './legacy-commands.js';
import { resetCommand } from './commands/reset.js';
import { dbCommand } from './commands/db.js';
import { poolCommand } from './commands/pool.js';
import { pruneCommand } from './commands/prune.js';
import { reseedCommand } from './commands/reseed.js';
import { lsCommand } from './commands/ls.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { storageCommand } from './commands/storage.js';
import { upCommand } from './commands/up.js';
import { erdCommand } from './commands/erd.js';
import { mcpCommand } from './commands/mcp.js';
import { targetCommand } from './commands/target.js';
import type { GlobalArgs } from './context.js';
import { terminalSafe } from '../support/printable.js';

/** The command-line parser with every command; parsing arguments runs the chosen command. */
export function buildParser(): Argv<GlobalArgs> {
  const parser = yargs()
    .scriptName('ditto')
    .usage('$0 <command> [options]\n\nEphemeral copies of a database: one clean copy per CI job, test run or shell.')
    .option('home', { type: 'string', global: true, describe: 'state directory (env DITTO_HOME, default ~/.ditto)' })
    .option('config', { type: 'string', global: true, describe: 'config file (default ./ditto.yaml, ~/.ditto/ditto.yaml, /etc/ditto/ditto.yaml)' })
    .option('remote', { type: 'string', global: true, describe: 'use the ditto host at this URL (env DITTO_SERVER; token from DITTO_TOKEN)' })
    .command(upCommand)
    .command(envCommand)
    .command(runCommand)
    .command(downCommand)
    .command(lsCommand)
    .command(logsCommand)
    .command(extendCommand)
    .command(resetCommand)
    .command(dbCommand)
    .command(statusCommand)
    .command(poolCommand)
    .command(pruneCommand)
    .command(reseedCommand)
    .command(erdCommand)
    .command(mcpCommand)
    .command(targetCommand)
    .command(hostCommand)
    .command(doctorCommand)
    .command(storageCommand)
    .command(initCommand)
    .completion(COMPLETION_COMMAND, COMPLETION_DESCRIBE, completeWords)
    .demandCommand(1, 'name a command (ditto --help lists them)')
    .strict()
    .parserConfiguration({ 'populate--': true })
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .fail((message, err) => {
      // yargs spreads some messages (a value outside `choices`) over lines: an error is one line.
      throw err ?? new DittoError('BAD_INPUT', message.replace(/:?\s*\n\s*/g, ': '), { hint: 'see ditto --help' });
    });
  skipHelpPrerender(parser);
  return parser;
}

/**
 * While a command's async handler runs, yargs renders that command's help text in case a later
 * failure prints it: about 10 ms of every start. ditto's failures never print help (see fail()
 * above), so the rendering is skipped. It reaches into yargs' internals, hence the guards: on a
 * yargs without them, nothing changes.
 */
function skipHelpPrerender(parser: Argv<GlobalArgs>): void {
  const internals = (parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: unknown } } }).getInternalMethods?.();
  const usage = internals?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

let prebuilt: Argv<GlobalArgs> | undefined;

/**
 * Builds the parser main() will use, ahead of time: the executable does this while its start-up
 * snapshot is made, which spares each start the yargs set-up of every command.
 */
export function prebuildParser(): void {
  prebuilt = buildParser();
}

/** Runs the command in `argv`; resolves to the exit code. */
export async function main(argv: string[] = hideBin(process.argv)): Promise<number> {
  // A parser runs once: the prebuilt one serves the first call only.
  const parser = prebuilt ?? buildParser();
  prebuilt = undefined;
  parser.wrap(Math.min(110, process.stdout.columns ?? 80));
  try {
    await parser.parseAsync(translateLegacyCommand(argv));
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return report(err);
  }
}

/** One line on stderr, the stack only with DITTO_DEBUG=1; returns the exit code. */
export function report(err: unknown): number {
  const error = asDittoError(err);
  // One line, whatever the message carries (a server's error, a caller's label): escaped, never raw.
  process.stderr.write(`ditto: ${terminalSafe(error.toLine())}\n`);
  if (process.env.DITTO_DEBUG === '1') process.stderr.write(`${(error.cause as Error | undefined)?.stack ?? error.stack}\n`);
  return error.exitCode;
}

/**
 * Runs main() and exits with its code. Exits explicitly: a stray handle (a pooled socket, a
 * timer) must not keep a finished command alive.
 */
export function runAndExit(argv: string[]): void {
  quietLibraryDeprecations();
  main(argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`ditto: ${terminalSafe(String(err))}\n`);
      process.exit(70);
    },
  );
}

export type { GlobalArgs };
