import path from 'node:path';
import type { ToolResult, ToolRunner } from '../engines/engine.js';
import { tail } from '../support/text.js';

/**
 * Runs `file` to its end and says how it ended. Aborting `signal` sends SIGTERM (SIGKILL five
 * seconds later if it lingers); the result then carries the signal.
 */
export async function runTool(file: string, args: string[], env: Record<string, string>, opts: { signal?: AbortSignal | undefined; cwd?: string; uid?: number; gid?: number } = {}): Promise<ToolResult> {
  // execa loads on first use: commands that start no process (ls, status) never pay for it.
  const { execa } = await import('execa');
  const result = await execa(file, args, {
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    stdout: 'ignore',
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid } : {}),
  });
  const notStarted = result.exitCode === undefined && result.signal === undefined;
  return {
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    stderr: notStarted ? (result.shortMessage ?? 'could not start') : tail(String(result.stderr ?? '')),
  };
}

/** The engine's client tools from a directory on this machine: they reach copies over loopback and read dumps in place. */
export function hostTools(binDir: string): ToolRunner {
  return {
    run: (tool, args, env, signal) => runTool(path.join(binDir, tool), args, env, { signal }),
    dumpPath: (file) => file,
  };
}
