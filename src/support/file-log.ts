import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir } from './private-dir.js';

/**
 * A log that appends JSON lines to `file` (0600, in a private directory), opened only when there
 * is a line to write: most commands write none, and their start-up pays nothing for it.
 */
export function fileLog(file: string, base: Record<string, unknown> = {}): (message: string, fields?: Record<string, unknown>) => void {
  return (message, fields = {}) => {
    try {
      ensurePrivateDir(path.dirname(file));
      fs.appendFileSync(file, JSON.stringify({ time: new Date().toISOString(), ...base, msg: message, ...fields }) + '\n', { mode: 0o600 });
    } catch {
      // A log that cannot be written must not fail the command it describes.
    }
  };
}
