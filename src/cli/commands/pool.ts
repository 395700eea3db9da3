import type { Argv, CommandModule } from 'yargs';
import { configFileStamp } from '../../config/cached-load.js';
import { formatDuration } from '../../config/duration.js';
import { withLocalCopies, type GlobalArgs } from '../context.js';
import { note, printJson } from '../output.js';
import { withProgress } from '../progress.js';

type Args = GlobalArgs & { json?: boolean };

const status: CommandModule<GlobalArgs, Args> = {
  command: 'status',
  describe: 'warm copies ready and in flight, the target, the maintainer',
  builder: (y: Argv<GlobalArgs>) => y.option('json', { type: 'boolean', describe: 'print JSON' }) as Argv<Args>,
  handler: async (args) => {
    const { maintainerRunning } = await import('../../copies/maintainer.js');
    const { report, running } = await withLocalCopies(args, { actor: 'cli', spawnMaintainer: false }, async (copies) => ({ report: await copies.pool.report(), running: maintainerRunning(copies.meta) }));
    if (args.json) return printJson({ ...report, maintainer_running: running });
    const idle = report.idleAt === null ? 'idle (no demand yet)' : report.idleAt <= Date.now() ? 'idle' : `drains in ${formatDuration((report.idleAt - Date.now()) / 1000)} without demand`;
    process.stdout.write(
      [
        `ready       ${report.ready}/${report.target}`,
        `in flight   ${report.inFlight}`,
        ...(report.stale ? [`stale       ${report.stale} (made for an older dump; being replaced)`] : []),
        `demand      ${idle}`,
        `maintainer  ${running ? 'running' : 'not running'}`,
      ].join('\n') + '\n',
    );
  },
};

const fill: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'fill',
  describe: 'make warm copies up to the target now, in the foreground',
  handler: async (args) => {
    const made = await withLocalCopies(args, { actor: 'cli', spawnMaintainer: true }, async ({ pool, config }) => {
      pool.markDemand();
      const target = config.pool.size;
      const count = await withProgress(`Filling the pool to ${target}`, process.stderr.isTTY === true, (onProgress) => pool.fill({ onProgress }), (n) => `Made ${n} warm copies`);
      // The maintainer takes over: it keeps the pool at its target and drains it when idle.
      pool.markDemand();
      return count;
    });
    note(`made ${made} warm ${made === 1 ? 'copy' : 'copies'}`);
  },
};

const drain: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'drain',
  describe: 'destroy every warm copy; the pool stays empty until the next up',
  handler: async (args) => {
    const drained = await withLocalCopies(args, { actor: 'cli', spawnMaintainer: true }, (copies) => copies.pool.drain());
    note(`drained ${drained.length} warm ${drained.length === 1 ? 'copy' : 'copies'}`);
  },
};

const maintain: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'maintain',
  describe: false, // the detached worker; started by ditto itself
  handler: async (args) => {
    const { runMaintainer } = await import('../../copies/maintainer.js');
    const { default: pino } = await import('pino');
    const logger = pino({ base: { pid: process.pid } });
    const controller = new AbortController();
    for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(name, () => controller.abort());
    const log = (message: string, fields?: Record<string, unknown>) => logger.info(fields ?? {}, message);
    await withLocalCopies(args, { actor: 'maintainer', spawnMaintainer: false, log }, async (copies, loaded) => {
      const started = configFileStamp(loaded.file);
      const configChanged = () => configFileStamp(loaded.file) !== started;
      if ((await runMaintainer(copies, { log, stateFile: copies.db.name, signal: controller.signal, configChanged })) === 'config changed') {
        const { ensureMaintainer } = await import('../../client/maintainer-spawn.js');
        await ensureMaintainer(copies, loaded.file);
      }
    });
  },
};

export const poolCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'pool <command>',
  describe: 'inspect or manage the warm pool: status | fill | drain',
  builder: (y: Argv<GlobalArgs>) => y.command(status).command(fill).command(drain).command(maintain).demandCommand(1),
  handler: () => {},
};
