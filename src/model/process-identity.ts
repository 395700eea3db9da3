import fs from 'node:fs';
import os from 'node:os';

/**
 * A process identity that survives pid reuse: "pid:start-time", the start time read from
 * /proc/<pid>/stat (clock ticks since boot). Where /proc is missing, the pid alone.
 */
export function processIdentity(pid: number): string | null {
  const start = startTime(pid);
  if (start === undefined) return null;
  return start === '' ? String(pid) : `${pid}:${start}`;
}

let self: string | undefined;

export function currentDriver(): string {
  self ??= processIdentity(process.pid) ?? String(process.pid);
  return self;
}

export function currentHost(): string {
  return os.hostname();
}

/** Whether the process named by `driver` still runs. A driver on another host counts as alive. */
export function isDriverAlive(driver: string | null, host: string | null): boolean {
  if (!driver) return false;
  if (host && host !== currentHost()) return true;
  const [pidText, start] = driver.split(':');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const now = startTime(pid);
  if (now === undefined) return false;
  return start === undefined || now === '' || now === start;
}

/**
 * The start time of a live, non-zombie process; '' when /proc cannot tell; undefined when it is
 * gone. A zombie counts as gone: it is dead and only waits to be reaped.
 */
function startTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return signalZero(pid) ? '' : undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields restart after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if ((fields[0] === 'Z' || fields[0] === 'X') && !threadsExiting(pid)) return undefined;
  return fields[19] ?? '';
}

/**
 * Whether a process's leader is a zombie while its other threads still exit: a killed
 * multithreaded server (mariadbd) holds its files and its listening socket until the last is gone.
 */
function threadsExiting(pid: number): boolean {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false;
  }
}

function signalZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a pid is alive, for server processes whose pid file is all we have. */
export function isPidAlive(pid: number): boolean {
  return startTime(pid) !== undefined;
}
