import fs from 'node:fs';
import path from 'node:path';
import { DittoError } from '../errors.js';

/** A dump file as it is on disk: its absolute path and stat, checked to exist, be a file and hold something. */
export function statDump(file: string): { path: string; stat: fs.Stats } {
  const abs = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new DittoError('DUMP_INVALID', `dump file ${abs} does not exist`, {
      hint: 'check dump.path in ditto.yaml or --dump, or make one with `ditto reseed`',
    });
  }
  if (!stat.isFile()) throw new DittoError('DUMP_INVALID', `dump ${abs} is not a file`);
  if (stat.size === 0) throw new DittoError('DUMP_INVALID', `dump file ${abs} is empty`, { hint: 'make a fresh one with `ditto reseed`' });
  return { path: abs, stat };
}

/** The first `bytes` of a file (fewer when it is shorter): enough to tell a dump's format. */
export function readHead(file: string, bytes = 8192): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(bytes);
    return head.subarray(0, fs.readSync(fd, head, 0, head.length, 0));
  } finally {
    fs.closeSync(fd);
  }
}
