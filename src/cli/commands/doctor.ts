import type { Argv, CommandModule } from 'yargs';
import { remoteClient, remoteUrl, type GlobalArgs } from '../context.js';
import { printJson, say } from '../output.js';

type Args = GlobalArgs & { json?: boolean };

const MARK = { ok: '✓', warn: '!', fail: '✗' } as const;

export const doctorCommand: CommandModule<GlobalArgs, Args> = {
  command: 'doctor',
  describe: 'check this machine (config, state home, runtime, dump, ports), or with --remote a host (reachable, token, status); exits non-zero when a check fails',
  builder: (y: Argv<GlobalArgs>) => y.option('json', { type: 'boolean', describe: 'print the checks as JSON' }) as Argv<Args>,
  handler: async (args) => {
    const remote = remoteUrl(args);
    const report = remote
      ? await (await import('../../doctor/remote-checks.js')).runRemoteChecks(await remoteClient(remote))
      : // The checks load the runtimes and the engine: only this command pays for that.
        await (await import('../../doctor/checks.js')).runChecks({ configPath: args.config, home: args.home });
    if (args.json) printJson(report);
    else {
      const width = Math.max(...report.checks.map((c) => c.name.length));
      for (const check of report.checks) {
        say(`${MARK[check.status]} ${check.name.padEnd(width)}  ${check.detail}`);
        if (check.hint && check.status !== 'ok') say(`  ${' '.repeat(width)}  → ${check.hint}`);
      }
      const failed = report.checks.filter((c) => c.status === 'fail').length;
      say(failed ? `${failed} check${failed > 1 ? 's' : ''} failed` : 'all checks passed');
    }
    if (!report.ok) process.exitCode = 1;
  },
};
