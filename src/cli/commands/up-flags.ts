import type { Argv } from 'yargs';
import type { CopyClient, IssuedCopy, UpRequest } from '../../model/copy-client.js';
import { formatDuration, parseDuration } from '../../config/duration.js';
import { DittoError } from '../../errors.js';
import { ciRun } from '../../support/ci-run.js';
import { note } from '../output.js';
import { withProgress } from '../progress.js';

/** The flags `up`, `env` and `run` share. */
export interface UpFlags {
  ttl?: string | undefined;
  label?: string | undefined;
  /** `up --name` only: `env` and `run` make a copy for one use. */
  name?: string | undefined;
  dump?: string | undefined;
  obfuscate?: boolean | undefined;
}

export function withUpFlags<T>(y: Argv<T>): Argv<T & UpFlags> {
  return y
    .option('ttl', { type: 'string', describe: 'lifetime of the copy: 90s, 15m, 2h, 1d or seconds (default: ttl in config)' })
    .option('label', { type: 'string', describe: 'a label to find the copy by (ls, down --label)' })
    .option('dump', { type: 'string', describe: 'restore this dump instead of the configured one: a path, http(s):// URL or s3://bucket/key' })
    .option('obfuscate', { type: 'boolean', describe: 'apply the obfuscate rules of ditto.yaml to the copy before handing it out' }) as Argv<T & UpFlags>;
}

/** The request of `up`, `env` and `run`: the flags, and the CI run the copy is made for (support/ci-run.ts). */
export function upRequest(flags: UpFlags): UpRequest {
  return {
    ...ciRun(process.env),
    ttlSeconds: flags.ttl === undefined ? undefined : parseDuration(flags.ttl, 'TTL'),
    label: flags.label,
    name: flags.name,
    dumpUri: flags.dump,
    obfuscate: flags.obfuscate,
  };
}

/**
 * Gets a copy for `up`, `env` and `run`: progress on a terminal, notices on stderr, and on an
 * interrupt the half-made copy is removed before the error surfaces.
 */
export async function issueCopy(client: CopyClient, flags: UpFlags, signal: AbortSignal): Promise<IssuedCopy> {
  const request = upRequest(flags);
  const started = Date.now();
  const tty = process.stderr.isTTY === true;
  const copy = await withProgress(
    'Getting a copy',
    tty,
    (onProgress) => client.up(request, { onProgress, signal }),
    (c) => `Copy ${c.id} ready on port ${c.port} in ${((Date.now() - started) / 1000).toFixed(1)}s, expires in ${formatDuration(c.ttlSeconds)}`,
  ).catch((err: unknown) => {
    if (signal.aborted && !(err instanceof DittoError && err.code === 'INTERRUPTED')) {
      throw new DittoError('INTERRUPTED', 'interrupted', { cause: err });
    }
    throw err;
  });
  for (const line of copy.notices) note(`hint: ${line}`);
  return copy;
}
