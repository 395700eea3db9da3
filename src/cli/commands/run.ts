import os from 'node:os';
import type { Argv, CommandModule } from 'yargs';
import { DittoError } from '../../errors.js';
import { formatDuration } from '../../config/duration.js';
import type { IssuedCopy } from '../../model/copy-client.js';
import { note } from '../output.js';
import { withClient, interruptSignal, type GlobalArgs } from '../context.js';
import { issueCopy, withUpFlags, type UpFlags } from './up-flags.js';

type Args = GlobalArgs & UpFlags & { command?: string[]; '--'?: string[]; keepOnFailure?: boolean };

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export const runCommand: CommandModule<GlobalArgs, Args> = {
  command: 'run [command..]',
  describe: 'get a copy, run a command with DATABASE_URL and DITTO_COPY_ID, destroy the copy when it exits',
  builder: (y: Argv<GlobalArgs>) =>
    withUpFlags(y)
      .positional('command', { type: 'string', array: true, describe: 'the command and its arguments, after --' })
      .option('keep-on-failure', { type: 'boolean', describe: 'when the command fails, keep the copy (until its TTL) and print its DSN on stderr' }) as Argv<Args>,
  handler: async (args) => {
    const argv = [...(args.command ?? []), ...(args['--'] ?? [])].map(String);
    if (argv.length === 0) throw new DittoError('BAD_INPUT', 'name a command to run', { hint: 'ditto run -- npm test' });
    process.exitCode = await withClient(args, async (client) => {
      const interrupt = interruptSignal();
      let copy: IssuedCopy | undefined;
      let kept = false;
      try {
        copy = await issueCopy(client, args, interrupt.signal);
        const code = await runChild(argv, { DATABASE_URL: copy.connectionString, DITTO_COPY_ID: copy.id }, interrupt);
        if (code !== 0 && args.keepOnFailure) kept = keep(copy, code);
        return code;
      } finally {
        interrupt.dispose();
        // Whatever happened to the command, the copy goes, unless it failed and the user asked to look.
        if (copy && !kept) await client.down({ ids: [copy.id] });
      }
    });
  },
};

/** --keep-on-failure: says on stderr which copy stays, for how long, and how to reach it. */
function keep(copy: IssuedCopy, code: number): true {
  const left = copy.expiresAt === null ? copy.ttlSeconds : Math.max(0, Math.round((copy.expiresAt - Date.now()) / 1000));
  note(`the command failed (exit ${code}); copy ${copy.id} is kept for ${formatDuration(left)} (ditto down ${copy.id} ends it sooner)`);
  note(`DATABASE_URL=${copy.connectionString}`);
  return true;
}

/**
 * Runs the command with inherited stdio; resolves to its exit code (128+n when killed by signal n).
 * The forwarding handlers are in place before `interrupt`'s go and before the command starts: a
 * signal in between would otherwise kill ditto itself and orphan the command with the copy.
 */
async function runChild(argv: string[], env: Record<string, string>, interrupt: ReturnType<typeof interruptSignal>): Promise<number> {
  const { execa } = await import('execa');
  let child: ReturnType<typeof execa> | undefined;
  const pending: NodeJS.Signals[] = [];
  const forward = (name: NodeJS.Signals) => {
    // A terminal's Ctrl-C already reaches the child (same foreground process group): don't double it.
    if (name === 'SIGINT' && process.stdin.isTTY) return;
    if (child) child.kill(name);
    else pending.push(name);
  };
  for (const name of FORWARDED) process.on(name, forward);
  const early = interrupt.received();
  interrupt.dispose();
  if (early) forward(early);
  child = execa(argv[0]!, argv.slice(1), { stdio: 'inherit', reject: false, env, cleanup: true });
  for (const name of pending) child.kill(name);
  try {
    const result = await child;
    if (result.failed && result.exitCode === undefined && result.signal === undefined) {
      const notFound = (result.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
      throw new DittoError(notFound ? 'COMMAND_NOT_FOUND' : 'BAD_INPUT', notFound ? `command not found: ${argv[0]}` : `could not run ${argv[0]}: ${result.shortMessage}`);
    }
    if (result.signal) return 128 + (os.constants.signals[result.signal] ?? 0);
    return result.exitCode ?? 1;
  } finally {
    for (const name of FORWARDED) process.off(name, forward);
  }
}
