import fs from 'node:fs';
import path from 'node:path';

/** Where system tools live when PATH leaves them out (a service's or cron's bare PATH, sudo's secure_path). */
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The absolute path of a system tool (`mount`, `umount`, `cp`): on PATH, else in the usual system directories; the bare name when nowhere. */
export function systemTool(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const dirs = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return name;
}
