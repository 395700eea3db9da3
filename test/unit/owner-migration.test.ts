import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/state/migrations.js';
import { openState, STATE_FILE } from '../../src/state/store.js';

let home = '';
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

it("a state from before owners carried their source: every owner becomes a static token's, and local copies stay unowned", () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-owners-'));
  const old = new Database(path.join(home, STATE_FILE));
  // The schema as the release before namespaced owners left it.
  const before = MIGRATIONS.findIndex((sql) => sql.includes("owner = 'token:' || owner"));
  expect(before).toBeGreaterThan(0);
  for (const sql of MIGRATIONS.slice(0, before)) old.exec(sql);
  old.pragma(`user_version = ${before}`);
  const insert = old.prepare(`INSERT INTO copies (id, status, runtime, engine, host, user, password, database, owner, ttl_seconds, created_at)
    VALUES (?, 'ready', 'local', 'postgres', '127.0.0.1', 'postgres', 'pw', 'postgres', ?, 60, 0)`);
  insert.run('a', 'alice');
  insert.run('b', 'repo:org/x:ref:refs/heads/main');
  insert.run('c', null);
  old.close();

  const db = openState(home);
  const owners = db.prepare('SELECT id, owner FROM copies ORDER BY id').all();
  db.close();
  expect(owners).toEqual([
    { id: 'a', owner: 'token:alice' },
    { id: 'b', owner: 'token:repo:org/x:ref:refs/heads/main' },
    { id: 'c', owner: null },
  ]);
});
