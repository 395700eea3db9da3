import fs from 'node:fs';

export interface ProcessInfo {
  pid: number;
  args: string[];
  /** The executable it runs, when /proc lets us read it. */
  exe: string | null;
}

/** Live processes that `match`, read from /proc (a process that ends meanwhile is skipped). */
export function processesWhere(match: (p: ProcessInfo) => boolean): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      let exe: string | null = null;
      try {
        exe = fs.readlinkSync(`/proc/${entry}/exe`);
      } catch {
        // Another user's process: its command line is enough.
      }
      if (match({ pid: Number(entry), args, exe })) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** The detached maintainers (`ditto pool maintain --home DIR`) of a home. */
export function maintainerPids(homeDir: string): number[] {
  return processesWhere(({ args }) => args.includes('maintain') && args.includes(homeDir));
}
