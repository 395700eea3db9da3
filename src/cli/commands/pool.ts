import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { createLocalClient } from '../../client/local-client.js';
import { formatDuration } from '../../config/duration.js';
import { maintainerRunning, runMaintainer } from '../../copies/maintainer.js';
import type { Manager } from '../../copies/manager.js';
import { STATE_FILE } from '../../state/store.js';
import { loadFor, type GlobalArgs } from '../context.js';
import { note, printJson } from '../output.js';
import { withProgress } from '../progress.js';

type Args = GlobalArgs & { json?: boolean };

/** Pool commands act on this machine's state: the warm pool is local by nature. */
async function withManager<T>(args: GlobalArgs, spawnMaintainer: boolean, fn: (m: Manager) => Promise<T>): Promise<T> {
  const manager = createLocalClient(loadFor(args), spawnMaintainer ? 'cli' : 'maintainer', { spawnMaintainer });
  try {
    return await fn(manager);
  } finally {
    await manager.close();
  }
}

const status: CommandModule<GlobalArgs, Args> = {
  command: 'status',
  describe: 'warm copies ready and in flight, the target, the maintainer',
  builder: (y: Argv<GlobalArgs>) => y.option('json', { type: 'boolean', describe: 'print JSON' }) as Argv<Args>,
  handler: async (args) => {
    const { report, running } = await withManager(args, false, async (m) => ({ report: m.poolReport(), running: maintainerRunning(m) }));
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
    const made = await withManager(args, true, async (m) => {
      m.meta.set('last_demand_at', String(Date.now()));
      const target = m.config.pool.size;
      const count = await withProgress(`Filling the pool to ${target}`, process.stderr.isTTY === true, (onProgress) => m.fillPool({ onProgress }), (n) => `Made ${n} warm copies`);
      // The maintainer takes over: it keeps the pool at its target and drains it when idle.
      m.meta.set('last_demand_at', String(Date.now()));
      return count;
    });
    note(`made ${made} warm ${made === 1 ? 'copy' : 'copies'}`);
  },
};

const drain: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'drain',
  describe: 'destroy every warm copy; the pool stays empty until the next up',
  handler: async (args) => {
    const drained = await withManager(args, true, (m) => m.drainPool());
    note(`drained ${drained.length} warm ${drained.length === 1 ? 'copy' : 'copies'}`);
  },
};

const maintain: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'maintain',
  describe: false, // the detached worker; started by ditto itself
  handler: async (args) => {
    const loaded = loadFor(args);
    const { default: pino } = await import('pino');
    const logger = pino({ base: { pid: process.pid } });
    const controller = new AbortController();
    for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(name, () => controller.abort());
    await withManager(args, false, (m) =>
      runMaintainer(m, {
        log: (message, fields) => logger.info(fields ?? {}, message),
        stateFile: path.join(loaded.home, STATE_FILE),
        signal: controller.signal,
      }),
    );
  },
};

export const poolCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'pool <command>',
  describe: 'inspect or manage the warm pool: status | fill | drain',
  builder: (y: Argv<GlobalArgs>) => y.command(status).command(fill).command(drain).command(maintain).demandCommand(1),
  handler: () => {},
};
