import path from 'node:path';
import type { ToolResult, ToolRunOptions, ToolRunner } from '../engines/engine.js';
import { tail } from '../support/text.js';

/**
 * Runs `file` to its end and says how it ended. Aborting `signal` sends SIGTERM (SIGKILL five
 * seconds later if it lingers); the result then carries the signal.
 */
export async function runTool(file: string, args: string[], env: Record<string, string>, opts: ToolRunOptions & { cwd?: string; uid?: number; gid?: number } = {}): Promise<ToolResult> {
  // execa loads on first use: commands that start no process (ls, status) never pay for it.
  const { execa } = await import('execa');
  const subprocess = execa(file, args, {
    env,
    extendEnv: false,
    reject: false,
    stdin: opts.input ? 'pipe' : 'ignore',
    stdout: 'ignore',
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid } : {}),
  });
  let inputError: Error | null = null;
  if (opts.input && subprocess.stdin) {
    const source = opts.input();
    // A tool that stops reading (it failed, or was stopped) closes its stdin: its exit says why, not the broken pipe.
    subprocess.stdin.on('error', () => {});
    source.on('error', (err) => {
      inputError = err instanceof Error ? err : new Error(String(err));
      subprocess.kill();
    });
    source.pipe(subprocess.stdin);
  }
  const result = await subprocess;
  // Input that could not be read (a corrupt gzip dump) is the failure to report, not the tool's end.
  if (inputError) return { exitCode: null, signal: null, stderr: `error reading its input: ${(inputError as Error).message}` };
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
    run: (tool, args, env, opts) => runTool(path.join(binDir, tool), args, env, opts),
    dumpPath: (file) => file,
  };
}
