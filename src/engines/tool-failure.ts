import { firstLine, toolErrorLine } from '../support/text.js';
import { DittoError } from '../errors.js';
import type { Engine, ToolResult } from './engine.js';

/** Why a client tool failed, in a few words for an error line: killed, stopped with a reason, or its own error line. */
export function toolFailure(tool: string, result: ToolResult): string {
  if (result.signal) return `${tool} was killed by ${result.signal}`;
  if (result.exitCode === null) return `${tool} stopped: ${firstLine(result.stderr)}`;
  return `${tool} exited with ${result.exitCode}: ${toolErrorLine(result.stderr)}`;
}

/**
 * The error of a restore whose tool failed: a full disk as such (the copy's floor adds where and
 * how much), anything else as a dump to check.
 */
export function restoreFailure(engine: Pick<Engine, 'diskFull'>, tool: string, dumpPath: string, result: ToolResult): DittoError {
  const why = `restoring ${dumpPath} failed: ${toolFailure(tool, result)}`;
  if (engine.diskFull(result.stderr)) return new DittoError('NO_SPACE', why);
  return new DittoError('DUMP_INVALID', why, { hint: 'check the dump (is it complete?) or make a fresh one with `ditto reseed`' });
}
