import fs from 'node:fs';
import path from 'node:path';
import { isPidAlive } from '../copies/driver.js';

/** Server processes whose command line names a data directory `<root>/<name>/...`, with that name. */
export function scanServers(root: string): { pid: number; name: string }[] {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  const found: { pid: number; name: string }[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const dataArg = dataDirArg(Number(entry));
    if (!dataArg?.startsWith(prefix)) continue;
    const name = dataArg.slice(prefix.length).split(path.sep)[0];
    if (name && isPidAlive(Number(entry))) found.push({ pid: Number(entry), name });
  }
  return found;
}

/** The `-D` argument of a server process, if it has one. */
export function dataDirArg(pid: number): string | undefined {
  let args: string[];
  try {
    args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
  const at = args.indexOf('-D');
  return at < 0 ? undefined : args[at + 1];
}

export function signalPid(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

export async function waitGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isPidAlive)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

export function readTail(file: string, bytes: number): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(bytes, size));
      fs.readSync(fd, buf, 0, buf.length, Math.max(0, size - bytes));
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

export function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // Not empty, or already gone.
  }
}
