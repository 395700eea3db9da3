import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isDriverAlive, isPidAlive, processIdentity } from '../../model/process-identity.js';
import type { Account } from './account.js';

/** What the local runtime records of a server it started, in `<copy dir>/server.json`. */
export interface ServerRecord {
  /** "pid:start-time": survives pid reuse. Absent until the process runs. */
  identity?: string;
  pid?: number;
  /** The engine's stop signals, so the server can be stopped without knowing its engine. */
  stop: { now: NodeJS.Signals; clean: NodeJS.Signals };
  /** The server's command line (no secret is ever in it), so a restart serves the copy as it was. */
  command?: { file: string; args: string[] };
}

export function writeServerRecord(file: string, record: ServerRecord): void {
  fs.writeFileSync(file, JSON.stringify(record), { mode: 0o600 });
}

export function readServerRecord(file: string): ServerRecord | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ServerRecord;
  } catch {
    return null;
  }
}

/**
 * Starts `server.command` in the copy's directory `dir`, detached, as `account`, its output
 * appended to server.log; records it (with its pid) in server.json once it runs.
 */
export async function spawnServer(dir: string, server: Required<Pick<ServerRecord, 'stop' | 'command'>>, account: Account | null, env: Record<string, string>): Promise<void> {
  const log = fs.openSync(path.join(dir, 'server.log'), 'a', 0o600);
  try {
    const child = spawn(server.command.file, server.command.args, {
      cwd: dir,
      detached: true, // its own process group, so it outlives us and can be killed as a group
      stdio: ['ignore', log, log],
      env,
      ...(account ? { uid: account.uid, gid: account.gid } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    writeServerRecord(path.join(dir, 'server.json'), { ...server, pid: child.pid!, identity: processIdentity(child.pid!) ?? String(child.pid) });
    child.unref();
  } finally {
    fs.closeSync(log);
  }
}

/** The recorded server's pid, while that very process (not a later one with its pid) runs. */
export function recordedPid(record: ServerRecord | null): number | null {
  if (!record?.pid || !record.identity) return null;
  return isDriverAlive(record.identity, null) ? record.pid : null;
}

/**
 * Processes working in a directory `<root>/<name>/...`, with that name: a server runs in its
 * copy's directory (or its data directory below it), whatever its engine. Finds servers whose
 * record was never written (a crash between the start and the record).
 */
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
    let cwd: string;
    try {
      cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      continue;
    }
    if (!cwd.startsWith(prefix)) continue;
    const name = cwd.slice(prefix.length).split(path.sep)[0];
    if (name && isPidAlive(Number(entry))) found.push({ pid: Number(entry), name });
  }
  return found;
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
    // Often: an immediate stop takes a few ms, and a reset or `down` waits for it.
    await new Promise((r) => setTimeout(r, 5));
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

export function listDirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}
