import fs from 'node:fs';
import path from 'node:path';
import { systemTool } from '../../support/system-tools.js';
import { mountsUnder } from './clone.js';
import { diskUsage } from './data-dirs.js';

/** Files per filefrag run: a data directory holds thousands, and a command line has a limit. */
const FILES_PER_RUN = 500;

/**
 * The bytes a copy's directory owns on disk: what removing it would free. An overlay clone owns
 * its upper directory (du, not through the mount); a reflink or btrfs clone owns the extents of
 * its files that no other file shares (FIEMAP's shared flag, read by filefrag); a plain copy's
 * extents are all its own, so the same count gives its whole size. Null when it cannot be told.
 */
export async function copyOwnBytes(copyDir: string): Promise<number | null> {
  if (!fs.existsSync(copyDir)) return null;
  // `du -x` stays on the copy directory's filesystem: the overlay mounted at data/ is not counted.
  if (fs.existsSync(path.join(copyDir, 'upper'))) return diskUsage(copyDir);
  return (await unsharedBytes(regularFiles(copyDir))) ?? diskUsage(copyDir);
}

/** The bytes of `files`' extents that are not shared with another file; null when filefrag cannot tell (no FIEMAP here). */
async function unsharedBytes(files: string[]): Promise<number | null> {
  const { execa } = await import('execa');
  let total = 0;
  for (let at = 0; at < files.length; at += FILES_PER_RUN) {
    // A file may go meanwhile (a server recycling its WAL): filefrag says so on stderr and goes on.
    // -s writes each file's dirty pages out first: until then a page written over a shared extent
    // shows as that extent (servers run with fsync off, so the kernel may hold them for a while).
    const run = await execa(systemTool('filefrag'), ['-s', '-v', ...files.slice(at, at + FILES_PER_RUN)], { reject: false, env: { LC_ALL: 'C' } });
    const counted = run.exitCode === undefined ? null : parseFilefrag(run.stdout);
    if (counted === null) return null;
    total += counted;
  }
  return total;
}

/**
 * The unshared bytes in `filefrag -v` output: per file a header `File size of F is N (B blocks of
 * S bytes)`, then its extents, each `i: a.. b: c.. d: length: [expected:] flags`, where the
 * length counts blocks of S bytes and the flags may say `shared` (or `delalloc`: not written out
 * yet, length 0; or `inline`: in btrfs's metadata). Null when a file with data
 * shows no extent table: FIEMAP is not supported (filefrag fell back to FIBMAP, which has no flags).
 */
export function parseFilefrag(output: string): number | null {
  let blockSize = 0;
  let fileSize = 0;
  let bytes = 0;
  let awaitingTable = false;
  for (const line of output.split('\n')) {
    const header = /^File size of .* is (\d+) \(\d+ blocks? of (\d+) bytes\)/.exec(line);
    if (header) {
      if (awaitingTable) return null;
      blockSize = Number(header[2]);
      fileSize = Number(header[1]);
      awaitingTable = fileSize > 0;
      continue;
    }
    if (/^\s*ext:\s+logical_offset:/.test(line)) {
      awaitingTable = false;
      continue;
    }
    const extent = /^\s*\d+:\s+(\d+)\.\.\s*(\d+):\s+\d+\.\.\s*\d+:\s+(\d+):(.*)$/.exec(line);
    if (!extent || /\bshared\b/.test(extent[4]!)) continue;
    const flags = extent[4]!;
    // A small file's data inline in btrfs's metadata: filefrag shows its length in bytes as blocks; the file is that small.
    if (/\binline\b/.test(flags)) bytes += Math.min(fileSize, blockSize);
    // Data not yet written out (delayed allocation) has no blocks, so length 0: its logical range is what it will take.
    else bytes += (/\bdelalloc\b/.test(flags) ? Number(extent[2]) - Number(extent[1]) + 1 : Number(extent[3])) * blockSize;
  }
  return awaitingTable ? null : bytes;
}

/**
 * Every regular file under `dir`, not through a mount point or a link. A btrfs subvolume below
 * (a snapshot clone) has a device number of its own but is no mount: it is walked.
 */
function regularFiles(dir: string): string[] {
  const mounts = new Set(mountsUnder(dir));
  const files: string[] = [];
  const walk = (at: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(at, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(at, entry.name);
      if (entry.isFile()) files.push(full);
      else if (entry.isDirectory() && !mounts.has(full)) walk(full);
    }
  };
  walk(dir);
  return files;
}
