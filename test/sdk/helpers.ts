import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'vitest';
import { CLI, REPO, type TestHome } from '../helpers/ditto.js';
import type { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';

export const SDK_DIR = path.join(REPO, 'sdk/js');

/** A `ditto` executable for DITTO_BIN: a script that runs the built CLI (dist/ditto.cjs) with this Node. */
export function dittoBin(dir: string): string {
  const file = path.join(dir, 'ditto');
  fs.writeFileSync(file, `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`, { mode: 0o755 });
  return file;
}

/** Local mode's client options for a test home: the wrapper as the executable, the home's variables. */
export function localOptions(home: TestHome): { bin: string; env: Record<string, string> } {
  return { bin: dittoBin(home.dir), env: home.env() };
}

/** A loopback port nothing listens on: one the kernel handed out and we let go. */
export async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * The environment of a child process: this one's, without vitest's own variables (a nested vitest
 * must not think it is a worker) and without colours, so its output can be matched.
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !/^(VITEST|NODE_OPTIONS$|FORCE_COLOR$)/.test(name)) env[name] = value;
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Runs `fn` and returns what it threw (failing when it does not throw). */
export async function thrown(fn: () => Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await fn();
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a failure, and the call succeeded');
}

/** A suite's end: its host stopped cleanly, then no copy and nothing of one left in its home, which goes. */
export async function closeHome(home: TestHome | undefined, host?: HostProcess): Promise<void> {
  if (host?.child.exitCode === null) expect(await host.stop()).toBe(0);
  if (!home) return;
  expect(await home.ls()).toEqual([]);
  expect(await leftovers(home)).toEqual([]);
  await home.cleanup();
}
