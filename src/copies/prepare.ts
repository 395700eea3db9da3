import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { DittoError } from '../errors.js';

type Prepare = NonNullable<Config['prepare']>;

/** What a prepared snapshot depends on besides its dump: the command, and the files its inputs match. */
export interface PrepareIdentity {
  command: string;
  /** The files matched, relative to prepare.dir, in order. */
  files: string[];
  /** sha256 of the command and each file's name and content. */
  hash: string;
}

/** The identity of `prepare` as the files are now; null when nothing is prepared. */
export async function prepareIdentity(prepare: Prepare | undefined): Promise<PrepareIdentity | null> {
  if (!prepare) return null;
  const dir = prepare.dir!;
  const { glob } = await import('tinyglobby');
  const files = prepare.inputs.length ? (await glob(prepare.inputs, { cwd: dir, onlyFiles: true, dot: false })).sort() : [];
  const hash = crypto.createHash('sha256').update(prepare.command).update('\0');
  for (const file of files) hash.update(file).update('\0').update(fs.readFileSync(path.join(dir, file))).update('\0');
  return { command: prepare.command, files, hash: hash.digest('hex') };
}

/**
 * Runs the prepare command against the database at `databaseUrl`, in prepare.dir, through the
 * shell. A failure is one line with the tail of what the command printed (the URL, which holds a
 * password, masked).
 */
export async function runPrepare(prepare: Prepare, databaseUrl: string, signal?: AbortSignal): Promise<void> {
  const { execa } = await import('execa');
  const result = await execa('/bin/sh', ['-c', prepare.command], {
    cwd: prepare.dir!,
    env: { DATABASE_URL: databaseUrl },
    stdin: 'ignore',
    all: true,
    reject: false,
    timeout: prepare.timeout * 1000,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  signal?.throwIfAborted();
  if (result.exitCode === 0) return;
  const how = result.timedOut ? `did not finish within ${prepare.timeout}s` : result.signal ? `was killed by ${result.signal}` : result.exitCode === undefined ? 'could not start' : `exited with ${result.exitCode}`;
  const output = String(result.all ?? '').replaceAll(databaseUrl, '$DATABASE_URL').trim().split('\n').slice(-3).join(' | ');
  throw new DittoError('PROVISION_FAILED', `prepare command \`${prepare.command}\` ${how}${output ? `: ${output}` : ''}`, {
    hint: 'fix the command or its migrations (prepare in ditto.yaml); no snapshot or copy was kept',
  });
}
