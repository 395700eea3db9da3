import fs from 'node:fs';
import { DittoError } from '../errors.js';

/**
 * Reads a file the configuration or the environment names (a certificate, a CA bundle); `what` is
 * that name (`host.tls.cert`, `DITTO_CA_FILE`), so a missing or unreadable file is one clear line.
 */
export function readNamedFile(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new DittoError('CONFIG', `${what} ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      hint: `check ${what}: the file must exist and be readable by ditto`,
    });
  }
}
