import type { CopyInfo } from '../model/copy-client.js';
import { formatDuration } from '../config/duration.js';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A note for the person at the terminal; never on stdout, which belongs to data. */
export function note(line: string): void {
  process.stderr.write(line + '\n');
}

/** Left-aligned columns separated by two spaces. */
export function table(header: string[], rows: string[][]): string {
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
