import type { CopyInfo } from '../client/copy-client.js';
import type { CopyEvent } from '../copies/copy.js';
import { formatDuration } from '../config/duration.js';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A note for the person at the terminal; never on stdout, which belongs to data. */
export function note(line: string): void {
  process.stderr.write(line + '\n');
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A copy in --json output: the v2 wire format's field names. */
export function copyJson(copy: CopyInfo & { connectionString?: string }): Record<string, unknown> {
  return {
    id: copy.id,
    status: copy.status,
    warm: copy.warm,
    runtime: copy.runtime,
    host: copy.host,
    port: copy.port,
    ...(copy.connectionString !== undefined ? { connection_string: copy.connectionString } : {}),
    label: copy.label,
    run_id: copy.runId,
    job_name: copy.jobName,
    ttl_seconds: copy.ttlSeconds,
    created_at: iso(copy.createdAt),
    ready_at: iso(copy.readyAt),
    expires_at: iso(copy.expiresAt),
    destroyed_at: iso(copy.destroyedAt),
    error_message: copy.errorMessage,
  };
}

export function eventJson(event: CopyEvent): Record<string, unknown> {
  return { action: event.action, actor: event.actor, metadata: event.metadata, created_at: iso(event.createdAt) };
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
