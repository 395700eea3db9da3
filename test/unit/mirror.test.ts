import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/ditto.js';
import { StateMirror } from '../../src/state/mirror.js';
import { openState, STATE_FILE, type Db } from '../../src/state/store.js';

let dir: string;
let db: Db;
let mirror: StateMirror | undefined;
/** What the next reloads' onReload does; the test swaps it. */
let hook: (m: Db) => void | Promise<void>;
let logged: { message: string; fields?: Record<string, unknown> }[];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-mirror-'));
  db = openState(dir);
  hook = () => {};
  logged = [];
});

afterEach(async () => {
  await mirror?.close();
  mirror = undefined;
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function openMirror(): Promise<StateMirror> {
  mirror = await StateMirror.open(db, { onReload: (m) => hook(m), log: (message, fields) => logged.push({ message, ...(fields ? { fields } : {}) }) });
  return mirror;
}

function setMeta(on: Db, key: string, value: string): void {
  on.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
}

function meta(on: Db, key: string): string | undefined {
  return (on.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('state mirror', () => {
  it('never publishes an older copy after a newer one, however the reloads overlap', async () => {
    const m = await openMirror();
    // Reload A copies before the row is committed, then is held in onReload.
    const aCopied = deferred();
    const releaseA = deferred();
    hook = async () => {
      aCopied.resolve();
      await releaseA.promise;
    };
    const a = m.reload();
    await aCopied.promise;
    setMeta(db, 'row', 'committed');
    // Reload B starts after the commit and would be done at once.
    hook = () => {};
    const b = m.reload();
    let bDone = false;
    void b.then(() => (bDone = true));
    await new Promise((r) => setTimeout(r, 50));
    const bFinishedFirst = bDone;
    releaseA.resolve();
    await Promise.all([a, b]);
    expect(meta(m.published, 'row')).toBe('committed');
    // B waited for A: had B published first, A would have published its older copy over it.
    expect(bFinishedFirst).toBe(false);
    expect(meta(await m.snapshot(), 'row')).toBe('committed');
  });

  it('keeps the previous mirror when onReload fails, and logs why', async () => {
    const m = await openMirror();
    setMeta(db, 'before', '1');
    await m.reload();
    const previous = m.published;
    setMeta(db, 'after', '2');
    hook = () => {
      throw new Error('schema check failed');
    };
    await m.reload();
    expect(m.published).toBe(previous);
    expect(meta(m.published, 'before')).toBe('1');
    expect(meta(m.published, 'after')).toBeUndefined();
    expect(logged.map((l) => l.fields?.error)).toContain('schema check failed');
    // Reads go on against the previous mirror while the hook keeps failing...
    expect(meta(await m.snapshot(), 'after')).toBeUndefined();
    expect(m.failures).toBeGreaterThanOrEqual(2);
    // ...and see the change once it passes again.
    hook = () => {};
    expect(meta(await m.snapshot(), 'after')).toBe('2');
  });

  it('picks up a write by another process before the next read', async () => {
    const m = await openMirror();
    expect(meta(await m.snapshot(), 'child')).toBeUndefined();
    const script = `const D = require('better-sqlite3'); const db = new D(process.argv[1], { timeout: 10000 });
      db.prepare("INSERT INTO meta (key, value) VALUES ('child', 'wrote')").run(); db.close();`;
    await execa(process.execPath, ['-e', script, path.join(dir, STATE_FILE)], { cwd: REPO });
    expect(meta(await m.snapshot(), 'child')).toBe('wrote');
  });

  it('picks up a write through another connection and through the writers own connection', async () => {
    const m = await openMirror();
    const other = openState(dir);
    try {
      setMeta(other, 'other', 'x');
      expect(meta(await m.snapshot(), 'other')).toBe('x');
    } finally {
      other.close();
    }
    setMeta(db, 'own', 'y');
    expect(meta(await m.snapshot(), 'own')).toBe('y');
  });

  it('does not reload when nothing changed, and closes the mirror a reload replaces', async () => {
    const m = await openMirror();
    const first = await m.snapshot();
    expect(await m.snapshot()).toBe(first);
    expect(m.reloads).toBe(0);
    setMeta(db, 'k', 'v');
    const second = await m.snapshot();
    expect(second).not.toBe(first);
    // A handle kept across a reload fails loudly instead of serving old rows.
    expect(() => meta(first, 'k')).toThrow(/not open/);
  });

  it('shares a queued reload between callers that asked while it waited', async () => {
    const m = await openMirror();
    const release = deferred();
    hook = () => release.promise;
    const running = m.reload();
    await new Promise((r) => setTimeout(r, 10));
    hook = () => {};
    const [x, y, z] = [m.reload(), m.reload(), m.reload()];
    expect(x).toBe(y);
    expect(y).toBe(z);
    release.resolve();
    await Promise.all([running, x]);
    expect(m.reloads).toBe(2);
  });
});
