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

/** Server processes whose data directory lies under `root`. */
export function serverProcessesUnder(root: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const data = args[args.indexOf('-D') + 1];
    if (args.includes('-D') && data?.startsWith(root + path.sep)) pids.push(Number(entry));
  }
  return pids;
}

/** Everything a home's copies could leave behind: processes, directories, listening ports, leases. */
export async function leftovers(home: TestHome, ports: number[] = []): Promise<string[]> {
  const found: string[] = [];
  const root = dataRootOf(home);
  const pids = serverProcessesUnder(root);
  if (pids.length) found.push(`server processes ${pids.join(', ')}`);
  if (fs.existsSync(root) && fs.readdirSync(root).length > 0) found.push(`copy directories ${fs.readdirSync(root).join(', ')}`);
  for (const port of ports) if (await isPortHeld(port)) found.push(`port ${port} still listening`);
  const stateFile = path.join(home.dir, 'state.db');
  if (fs.existsSync(stateFile)) {
    const db = new Database(stateFile, { readonly: true });
    const leases = db.prepare('SELECT port, copy_id FROM port_leases').all() as { port: number; copy_id: string }[];
    db.close();
    if (leases.length) found.push(`port leases ${leases.map((l) => `${l.port}:${l.copy_id}`).join(', ')}`);
  }
  return found;
}
