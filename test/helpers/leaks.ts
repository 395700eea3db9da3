import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isPortHeld } from '../../src/copies/port-pool.js';
import { defaultDataRoot } from '../../src/runtimes/registry.js';
import type { TestHome } from './ditto.js';

/** Where the local runtime keeps this home's copies. */
export function dataRootOf(home: TestHome): string {
  return defaultDataRoot(home.dir, process.getuid?.() === 0);
}

/** Server processes whose data directory lies under `root`, with the copy id their directory names. */
export function serverProcessesUnder(root: string): { pid: number; copyId: string }[] {
  const pids: { pid: number; copyId: string }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const data = args[args.indexOf('-D') + 1];
    if (args.includes('-D') && data?.startsWith(root + path.sep)) {
      pids.push({ pid: Number(entry), copyId: data.slice(root.length + 1).split(path.sep)[0]! });
    }
  }
  return pids;
}

/**
 * Everything a home's copies could leave behind: processes, directories, listening ports, leases.
 * With `copyIds`, only what belongs to those copies counts.
 */
export async function leftovers(home: TestHome, ports: number[] = [], copyIds?: string[]): Promise<string[]> {
  const mine = (id: string) => copyIds === undefined || copyIds.includes(id);
  const found: string[] = [];
  const root = dataRootOf(home);
  const servers = serverProcessesUnder(root).filter((s) => mine(s.copyId));
  if (servers.length) found.push(`server processes ${servers.map((s) => `${s.pid}:${s.copyId}`).join(', ')}`);
  const dirs = fs.existsSync(root) ? fs.readdirSync(root).filter(mine) : [];
  if (dirs.length) found.push(`copy directories ${dirs.join(', ')}`);
  for (const port of ports) if (await isPortHeld(port)) found.push(`port ${port} still listening`);
  const stateFile = path.join(home.dir, 'state.db');
  if (fs.existsSync(stateFile)) {
    const db = new Database(stateFile, { readonly: true });
    const leases = (db.prepare('SELECT port, copy_id FROM port_leases').all() as { port: number; copy_id: string }[]).filter((l) => mine(l.copy_id));
    db.close();
    if (leases.length) found.push(`port leases ${leases.map((l) => `${l.port}:${l.copy_id}`).join(', ')}`);
  }
  return found;
}
