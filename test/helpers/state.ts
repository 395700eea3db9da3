import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { TestHome } from './ditto.js';

export interface CopyRow {
  id: string;
  status: string;
  warm: number;
  port: number | null;
  error_message: string | null;
  reserved_by: string | null;
  purpose: 'copy' | 'golden';
}

/**
 * Reads a home's state file directly, read-only: tests that must not run a ditto command (every
 * command heals) look at the state this way.
 */
export function readCopies(home: TestHome, opts: { builders?: boolean } = {}): CopyRow[] {
  if (!fs.existsSync(path.join(home.dir, 'state.db'))) return [];
  const db = new Database(path.join(home.dir, 'state.db'), { readonly: true, fileMustExist: true });
  try {
    // Golden snapshot builders are ditto's own; tests look at the copies users get unless asked.
    const where = opts.builders ? '' : "WHERE purpose = 'copy'";
    return db.prepare(`SELECT id, status, warm, port, error_message, reserved_by, purpose FROM copies ${where} ORDER BY created_at`).all() as CopyRow[];
  } catch (err) {
    // The first command may not have created the tables yet.
    if (/no such table/.test((err as Error).message)) return [];
    throw err;
  } finally {
    db.close();
  }
}

/** Runs a write against a home's state, as a crash or a stray tool might leave it. */
export function writeState(home: TestHome, sql: string, ...params: unknown[]): void {
  const db = new Database(path.join(home.dir, 'state.db'), { fileMustExist: true, timeout: 10_000 });
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

export async function waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
