import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goneHomeRuntimes, homeKey, homesGone, lookAtHome, markOf, parseMark, type HomeLook, type HomeMark } from '../../src/runtimes/home-mark.js';
import { goneDataDirs, markDataDir, removeIfOnlyMarked } from '../../src/runtimes/local/data-dirs.js';

const HERE = { host: 'ci-7', mounts: 'mnt:[4026531840]' };
const mark = (home: string, over: Partial<HomeMark> = {}): HomeMark => ({ home, ...HERE, ...over });
const looks = (table: Record<string, HomeLook>) => (home: string) => table[home] ?? 'present';

describe('what is orphaned: homesGone', () => {
  it('goes when every home it records is absent, looked at from where it was marked', () => {
    expect(homesGone([mark('/tmp/a')], HERE, looks({ '/tmp/a': 'absent' }))).toBe(true);
    expect(homesGone([mark('/tmp/a'), mark('/tmp/b')], HERE, looks({ '/tmp/a': 'absent', '/tmp/b': 'absent' }))).toBe(true);
  });

  it('stays while any home that shares it is present, or cannot be looked at', () => {
    expect(homesGone([mark('/tmp/a'), mark('/tmp/b')], HERE, looks({ '/tmp/a': 'absent' }))).toBe(false);
    expect(homesGone([mark('/tmp/a')], HERE, looks({ '/tmp/a': 'unknown' }))).toBe(false);
  });

  it('is never judged from another host or another mount namespace (a CI job in its own container)', () => {
    const absent = looks({ '/tmp/a': 'absent' });
    expect(homesGone([mark('/tmp/a', { host: 'other' })], HERE, absent)).toBe(false);
    expect(homesGone([mark('/tmp/a', { mounts: 'mnt:[4026532999]' })], HERE, absent)).toBe(false);
    expect(homesGone([mark('/tmp/a'), mark('/tmp/a', { host: 'other' })], HERE, absent)).toBe(false);
  });

  it('without a mark nothing is known, and nothing goes', () => {
    expect(homesGone([], HERE, () => 'absent')).toBe(false);
  });
});

describe('reading a mark back', () => {
  it('takes what markOf writes', () => {
    const written = markOf('/srv/ditto');
    expect(written.host).toBe(os.hostname());
    expect(written.mounts).toMatch(/^mnt:\[\d+\]$/);
    expect(parseMark(JSON.parse(JSON.stringify(written)))).toEqual(written);
  });

  it.each([
    ['a relative home', { home: 'ditto', host: 'h', mounts: '' }],
    ['a missing field', { home: '/srv/ditto', host: 'h' }],
    ['a control character', { home: '/srv/\u001b[2Jditto', host: 'h', mounts: '' }],
    ['not an object', '/srv/ditto'],
  ])('refuses %s', (_what, value) => {
    expect(parseMark(value)).toBeNull();
  });
});

describe('data directories on disk', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ditto-marks-'));
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  /** A home: a directory with its state file (`live`), or a path where there is none. */
  function home(name: string, live: boolean): string {
    const dir = path.join(scratch, 'homes', name);
    if (live) {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'state.db'), '');
    }
    return dir;
  }

  /** A data directory in `parent` holding a golden snapshot, marked by `homes`. */
  function dataDir(parent: string, name: string, homes: string[]): string {
    const root = path.join(parent, name);
    fs.mkdirSync(path.join(root, 'golden', 'k', 'data'), { recursive: true });
    for (const h of homes) markDataDir(root, markOf(h));
    return root;
  }

  it('a home is a directory with its state file', () => {
    expect(lookAtHome(home('live', true))).toBe('present');
    const emptied = home('emptied', false);
    fs.mkdirSync(emptied, { recursive: true });
    expect(lookAtHome(emptied)).toBe('absent');
    expect(lookAtHome(home('removed', false))).toBe('absent');
    expect(lookAtHome(path.join(emptied, 'state.db', 'below-a-file'))).toBe('absent');
  });

  it('finds only ditto-* directories of this user whose marks all name removed homes', () => {
    const parent = path.join(scratch, 'var-tmp');
    fs.mkdirSync(parent);
    const live = home('live2', true);
    const removed = home('removed2', false);
    const gone = dataDir(parent, 'ditto-gone', [removed]);
    dataDir(parent, 'ditto-live', [live]);
    dataDir(parent, 'ditto-shared', [removed, live]);
    dataDir(parent, 'ditto-unmarked', []);
    dataDir(parent, 'other-gone', [removed]);
    fs.symlinkSync(gone, path.join(parent, 'ditto-link'));
    // A mark under another home's name is not one ditto wrote.
    const forged = dataDir(parent, 'ditto-forged', []);
    fs.mkdirSync(path.join(forged, 'homes'));
    fs.writeFileSync(path.join(forged, 'homes', homeKey(live)), JSON.stringify(markOf(removed)));
    const notJson = dataDir(parent, 'ditto-garbled', []);
    fs.mkdirSync(path.join(notJson, 'homes'));
    fs.writeFileSync(path.join(notJson, 'homes', homeKey(removed)), '{"home":');

    expect(goneDataDirs(parent)).toEqual([{ dir: gone, homes: [removed] }]);
  });

  it('an emptied root goes with its mark; one with data, or another home\'s mark, stays', () => {
    const a = markOf(home('a', true));
    const b = markOf(home('b', true));
    const root = path.join(scratch, 'root');
    fs.mkdirSync(path.join(root, 'copies'), { recursive: true });
    markDataDir(root, a);
    expect(fs.statSync(path.join(root, 'homes')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(root, 'homes', homeKey(a.home))).mode & 0o777).toBe(0o600);
    removeIfOnlyMarked(root, a);
    expect(fs.readdirSync(root).sort()).toEqual(['copies', 'homes']);

    fs.rmdirSync(path.join(root, 'copies'));
    markDataDir(root, b);
    removeIfOnlyMarked(root, a);
    expect(fs.readdirSync(path.join(root, 'homes')).sort()).toEqual([homeKey(a.home), homeKey(b.home)].sort());

    removeIfOnlyMarked(path.join(scratch, 'no-such-root'), a);
    const alone = path.join(scratch, 'alone');
    fs.mkdirSync(alone);
    markDataDir(alone, a);
    removeIfOnlyMarked(alone, a);
    expect(fs.existsSync(alone)).toBe(false);
  });
});

describe('which runtimes sweep what gone homes left: goneHomeRuntimes', () => {
  it('always the local one (data directories hold Docker clones too), Docker first (its containers run on them)', () => {
    expect(goneHomeRuntimes(['docker'])).toEqual(['docker', 'local']);
    expect(goneHomeRuntimes(['local'])).toEqual(['local']);
    expect(goneHomeRuntimes(['local', 'docker'])).toEqual(['docker', 'local']);
  });
});
