import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically, removeQuietly } from '../../support/files.js';
import { systemTool } from '../../support/system-tools.js';
import { PROBE_FILE } from './clone-choice.js';
import { goneFromHere, homeKey, parseMark, type HomeMark } from '../home-mark.js';

/** Where data directories go when servers run as another account (ditto is root): /var/tmp/ditto-<key of home>. */
const SHARED_PARENT = '/var/tmp';
const PREFIX = 'ditto-';
/** The names of the data directories the sweep looks at: ditto's prefix, and nothing a terminal would take for a command. */
const NAME = /^ditto-[\w.-]+$/;
/** `<root>/homes/<key of home>`: a mark (JSON) per home that keeps copies or snapshots in the root. */
const MARKS = 'homes';
/** A data directory's folders: each runtime's copies (`<id>/data`) and golden snapshots (`<key>/data`). */
export const LAYOUT = {
  local: { copies: 'copies', golden: 'golden' },
  docker: { copies: 'docker-copies', golden: 'docker-golden' },
} as const;
/** Written into a golden snapshot's directory (`<key>/`, its data in `<key>/data`) once its data is complete. */
export const SNAPSHOT_MARKER = 'complete';

/**
 * The local runtime's copies and golden snapshots live under the home, except when servers run as
 * another account: the home is 0700, so they live in /var/tmp/ditto-<hash of home>, where that
 * account can reach its own directories.
 */
export function defaultLocalRoot(home: string, otherAccount: boolean): string {
  if (!otherAccount) return path.join(home, 'local');
  return path.join(SHARED_PARENT, `${PREFIX}${homeKey(home)}`);
}

/**
 * Makes `dir` and any parent it needs, 0711 as root (the server account must traverse them to reach
 * its own 0700 directory), else 0700. Set with chmod: mkdir's mode is cut by the umask, and a
 * root shell with umask 077 would leave the servers locked out.
 */
export function makeRoot(dir: string, asRoot: boolean): void {
  const mode = asRoot ? 0o711 : 0o700;
  const made = fs.mkdirSync(dir, { recursive: true, mode });
  if (made === undefined) return;
  for (let at = dir; at.length >= made.length; at = path.dirname(at)) fs.chmodSync(at, mode);
}

/** Records in `root` that `mark`'s home keeps data there; called after each directory it makes in it. */
export function markDataDir(root: string, mark: HomeMark): void {
  const file = path.join(root, MARKS, homeKey(mark.home));
  const text = JSON.stringify(mark);
  if (readText(file) === text) return;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomically(file, text);
}

/**
 * Removes `root` once it holds nothing but this home's mark. Another process of the home may put a
 * copy in meanwhile (it marks after making its directory): when the root cannot go, the mark is
 * written again, so a root with data never lacks the mark of the live home using it. Another
 * home's mark keeps the root: that home removes it.
 */
export function removeIfOnlyMarked(root: string, mark: HomeMark): void {
  const marks = path.join(root, MARKS);
  // What its filesystem offers clones is found again when the root is made again.
  if (!(sameEntries(root, [MARKS]) || sameEntries(root, [MARKS, PROBE_FILE])) || !sameEntries(marks, [homeKey(mark.home)])) return;
  removeQuietly(path.join(root, PROBE_FILE));
  removeQuietly(path.join(marks, homeKey(mark.home)));
  if (rmdir(marks) && rmdir(root)) return;
  if (fs.existsSync(root)) markDataDir(root, mark);
}

/** A data directory of ditto's whose homes are all gone. */
export interface GoneDataDir {
  dir: string;
  homes: string[];
}

/**
 * Data directories in /var/tmp named ditto-*, owned by this user, whose marks all name homes that
 * are gone. One without marks (made before ditto marked them, or not by ditto) is left alone, as
 * is one with a mark ditto could not have written: nothing proves it ditto's.
 */
export function goneDataDirs(parent = SHARED_PARENT): GoneDataDir[] {
  let names: string[];
  try {
    names = fs.readdirSync(parent).filter((name) => NAME.test(name));
  } catch {
    return [];
  }
  const found: GoneDataDir[] = [];
  for (const name of names) {
    const dir = path.join(parent, name);
    if (!ownDirectory(dir)) continue;
    const marks = readMarks(dir);
    if (marks && goneFromHere(marks)) found.push({ dir, homes: marks.map((m) => m.home) });
  }
  return found;
}

/** Disk space under `dir` (its own filesystem only: not through an overlay mounted below), or null when du cannot tell. */
export async function diskUsage(dir: string): Promise<number | null> {
  const { execa } = await import('execa');
  const du = await execa(systemTool('du'), ['-sxk', dir], { reject: false });
  const kib = Number(du.stdout.split('\t')[0]);
  return du.stdout && Number.isFinite(kib) ? kib * 1024 : null;
}

/** The marks of `root`, or null when one is not ditto's (not a private file of this user, not a mark, not under its home's key). */
function readMarks(root: string): HomeMark[] | null {
  const dir = path.join(root, MARKS);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return null;
  }
  const marks: HomeMark[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const stat = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile() || stat.uid !== process.getuid?.()) return null;
    let mark: HomeMark | null;
    try {
      mark = parseMark(JSON.parse(fs.readFileSync(file, 'utf8')));
    } catch {
      return null;
    }
    if (!mark || homeKey(mark.home) !== name) return null;
    marks.push(mark);
  }
  return marks;
}

/** A real directory (not a link to one) of this user's. */
function ownDirectory(dir: string): boolean {
  const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
  return stat !== undefined && stat.isDirectory() && stat.uid === process.getuid?.();
}

function sameEntries(dir: string, expected: string[]): boolean {
  try {
    const entries = fs.readdirSync(dir);
    return entries.length === expected.length && entries.every((e) => expected.includes(e));
  } catch {
    return false;
  }
}

function rmdir(dir: string): boolean {
  try {
    fs.rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
