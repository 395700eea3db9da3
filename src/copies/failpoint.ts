import fs from 'node:fs';

/**
 * Fault injection for the crash-recovery tests: with DITTO_FAILPOINT=<name>, the process stops at
 * that point (and says so in DITTO_FAILPOINT_FILE) until it is killed. Inert otherwise.
 */
export async function failpoint(name: string): Promise<void> {
  if (process.env.DITTO_FAILPOINT !== name) return;
  if (process.env.DITTO_FAILPOINT_FILE) fs.writeFileSync(process.env.DITTO_FAILPOINT_FILE, String(process.pid));
  await new Promise(() => setInterval(() => {}, 1 << 30));
}
