import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { maintainerRunning } from '../copies/maintainer.js';
import type { Copies } from '../copies/house.js';
import { selfCommand } from '../runtime-env/self-command.js';
import { ensurePrivateDir } from '../support/private-dir.js';

/** The maintainer log is cut back to nothing past this size when a new maintainer starts. */
const MAX_LOG_BYTES = 5 * 1024 * 1024;

/**
 * Starts `ditto pool maintain` detached, unless a live maintainer holds the lease or there is no
 * work for one. The child is this same ditto (see selfCommand), outlives us, and logs to
 * <home>/logs/maintainer.log.
 */
export async function ensureMaintainer(copies: Copies, configFile: string | null): Promise<void> {
  if (!(await copies.pool.needsMaintainer()) || maintainerRunning(copies.meta)) return;
  const { home } = copies;
  const logs = path.join(home, 'logs');
  ensurePrivateDir(logs);
  const logFile = path.join(logs, 'maintainer.log');
  try {
    if (fs.statSync(logFile).size > MAX_LOG_BYTES) fs.truncateSync(logFile, 0);
  } catch {
    // No log yet.
  }
  const log = fs.openSync(logFile, 'a', 0o600);
  try {
    const [file, ...prefix] = selfCommand();
    const args = [...prefix, 'pool', 'maintain', '--home', home, ...(configFile ? ['--config', configFile] : [])];
    // cwd is the home: the maintainer must not keep a user's directory busy, nor read its ditto.yaml.
    const child = spawn(file!, args, { cwd: home, detached: true, stdio: ['ignore', log, log], env: process.env });
    child.on('error', () => {}); // A failed spawn only means no background upkeep this time.
    child.unref();
  } finally {
    fs.closeSync(log);
  }
}
