import { firstLine, toolErrorLine } from '../support/text.js';
import type { ToolResult } from './engine.js';

/** Why a client tool failed, in a few words for an error line: killed, stopped with a reason, or its own error line. */
export function toolFailure(tool: string, result: ToolResult): string {
  if (result.signal) return `${tool} was killed by ${result.signal}`;
  if (result.exitCode === null) return `${tool} stopped: ${firstLine(result.stderr)}`;
  return `${tool} exited with ${result.exitCode}: ${toolErrorLine(result.stderr)}`;
}
