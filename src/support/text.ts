/** The first non-blank line of `text`, trimmed and cut at 300 characters: what fits in a one-line error. */
export function firstLine(text: string): string {
  const line = text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  return line.length > 300 ? line.slice(0, 300) + '…' : line;
}

/** The line of a client tool's stderr that says what failed, less a `strip`ped prefix. */
export function toolErrorLine(stderr: string, strip?: RegExp): string {
  const line = stderr.split('\n').find((l) => /error|fatal/i.test(l)) ?? stderr;
  return firstLine(strip ? line.replace(strip, '') : line);
}

/** At most the last `limit` characters of a tool's output: a ToolResult keeps its tail, where the error is. */
export function tail(text: string, limit = 64 * 1024): string {
  return text.length > limit ? text.slice(-limit) : text;
}
