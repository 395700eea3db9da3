import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkCopyName } from '../../src/model/copy-name.js';
import { CopiesRepo, NameTaken, type Claim } from '../../src/state/copies-repo.js';
import { openState } from '../../src/state/store.js';
import type { Db } from '../../src/state/store.js';

let home = '';
let db: Db | null = null;
afterEach(() => {
  db?.close();
  db = null;
  fs.rmSync(home, { recursive: true, force: true });
});

function repoWith(rows: { id: string; status: string; warm?: number; owner: string | null; name: string | null }[]): CopiesRepo {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-names-'));
  db = openState(home);
  const insert = db.prepare(`INSERT INTO copies (id, status, warm, runtime, engine, host, user, password, database, owner, name, ttl_seconds, pool_key, created_at, ready_at)
    VALUES (@id, @status, @warm, 'local', 'postgres', '127.0.0.1', 'postgres', 'pw', 'postgres', @owner, @name, 60, 'k', 0, 0)`);
  for (const row of rows) insert.run({ warm: 0, ...row });
  return new CopiesRepo(db);
}

const claim = (owner: string | null, name: string | null): Claim => ({ ttl: 60, label: null, name, owner, runId: null, jobName: null });

describe('copy names', () => {
  it('a name is letters, digits, dot, dash and underscore, 1-63 long, starting with a letter or digit', () => {
    for (const good of ['pr-123', 'a', 'Feature.x_1', 'x'.repeat(63)]) expect(checkCopyName(good)).toBe(good);
    for (const bad of ['', '-a', '.a', 'a b', 'a/b', 'x'.repeat(64), 'é', 'a\u202e']) expect(() => checkCopyName(bad)).toThrow(/is not a copy name/);
  });

  it('the state holds one live copy of a name per owner (local use is one owner); a failed or destroyed one frees it', () => {
    const repo = repoWith([
      { id: 'a', status: 'ready', owner: 'token:alice', name: 'pr-1' },
      { id: 'b', status: 'ready', owner: 'token:bob', name: 'pr-1' },
      { id: 'c', status: 'ready', owner: null, name: 'pr-1' },
      { id: 'd', status: 'failed', owner: 'token:alice', name: 'pr-1' },
      { id: 'e', status: 'destroyed', owner: 'token:alice', name: 'pr-1' },
    ]);
    const insert = (id: string, owner: string | null) =>
      db!.prepare(`INSERT INTO copies (id, status, runtime, engine, host, user, password, database, owner, name, ttl_seconds, created_at) VALUES (?, 'pending', 'local', 'postgres', 'h', 'u', 'p', 'd', ?, 'pr-1', 60, 0)`).run(id, owner);
    expect(() => insert('x', 'token:alice')).toThrow(/UNIQUE/);
    expect(() => insert('y', null)).toThrow(/UNIQUE/);
    expect(repo.liveNamed('token:alice', 'pr-1')?.id).toBe('a');
    expect(repo.liveNamed(null, 'pr-1')?.id).toBe('c');
    db!.prepare("UPDATE copies SET status = 'destroying' WHERE id = 'a'").run();
    expect(repo.liveNamed('token:alice', 'pr-1')).toBeUndefined();
    insert('z', 'token:alice');
    expect(repo.liveNamed('token:alice', 'pr-1')?.id).toBe('z');
  });

  it('a warm copy is claimed under a name only while the owner holds none of it: else NameTaken, and the warm copy stays in the pool', () => {
    const repo = repoWith([
      { id: 'held', status: 'ready', owner: 'token:alice', name: 'pr-1' },
      { id: 'warm', status: 'ready', warm: 1, owner: null, name: null },
    ]);
    expect(() => repo.claimWarm('k', 'me', claim('token:alice', 'pr-1'), 'test')).toThrow(NameTaken);
    expect(repo.get('warm')).toMatchObject({ warm: true, name: null });
    expect(repo.claimWarm('k', 'me', claim('token:bob', 'pr-1'), 'test')).toMatchObject({ id: 'warm', warm: false, name: 'pr-1', owner: 'token:bob' });
  });
});
