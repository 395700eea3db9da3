import type { CopyInfo } from '../model/copy-client.js';
import { formatDuration } from '../config/duration.js';
import { terminalSafe, terminalSafeJson } from '../support/printable.js';

/*
 * Everything printed goes through these: what a caller or a database named (a label, an error of
 * the server's) reaches the terminal with its control characters escaped, never raw.
 */

export function printJson(value: unknown): void {
  process.stdout.write(terminalSafeJson(JSON.stringify(value, null, 2)) + '\n');
}

/** Lines of data on stdout; each line's control characters escaped. */
export function say(text: string): void {
  process.stdout.write(safeLines(text) + '\n');
}

/** A note for the person at the terminal; never on stdout, which belongs to data. */
export function note(line: string): void {
  process.stderr.write(safeLines(line) + '\n');
}

/** `text` escaped line by line: its own line breaks kept, anything else that steers a terminal escaped. */
function safeLines(text: string): string {
  return text.split('\n').map(terminalSafe).join('\n');
}

/** Left-aligned columns separated by two spaces; a cell is one line, its control characters escaped. */
export function table(header: string[], cells: string[][]): string {
  const rows = cells.map((row) => row.map(terminalSafe));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function statusLabel(copy: CopyInfo): string {
  return copy.status === 'ready' && copy.warm ? 'warm' : copy.status;
}

export function ttlLeft(copy: CopyInfo, now = Date.now()): string {
  if (copy.status !== 'ready' || copy.expiresAt === null) return '-';
  return formatDuration(Math.max(0, (copy.expiresAt - now) / 1000));
}

export function age(ms: number, now = Date.now()): string {
  return formatDuration((now - ms) / 1000);
}
