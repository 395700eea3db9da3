import path from 'node:path';
import { isSingleExecutable } from './sea.js';

/**
 * The argv prefix that runs this ditto again: the executable alone when ditto is the single
 * executable, else the runtime and the bundled script (dist/ditto.cjs). The detached maintainer is
 * started this way, so it is the same ditto, never whatever `node` or `ditto` PATH finds.
 */
export function selfCommand(): string[] {
  if (isSingleExecutable()) return [process.execPath];
  const script = path.resolve(process.argv[1] ?? '');
  // Deno runs the bundle as `deno run -A dist/ditto.cjs`; its execPath is the deno binary.
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  if (deno) return [deno.execPath(), 'run', '-A', script];
  // execArgv keeps flags such as --enable-source-maps; not --inspect, whose port the parent holds.
  const flags = process.execArgv.filter((flag) => !flag.startsWith('--inspect'));
  return [process.execPath, ...flags, script];
}
