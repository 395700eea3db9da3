/** The host's /v2 API as the dashboard calls it: the session cookie is the credential, and every change carries the CSRF header. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Copy {
  id: string;
  status: string;
  warm: boolean;
  runtime: string;
  engine?: string | null;
  owner: string | null;
  label: string | null;
  /** Present on hosts with named copies. */
  name?: string | null;
  run_id: string | null;
  job_name: string | null;
  ttl_seconds: number;
  created_at: string;
  expires_at: string | null;
  error_message: string | null;
  disk_bytes: number | null;
}

export interface CopyEvent {
  action: string;
  actor: string;
  metadata: Record<string, unknown>;
  created_at: string;
}

export interface Status {
  version: string;
  active_copies: number;
  warm_copies: number;
  provisioning_copies?: number;
  pool_target?: number;
  port_pool_free: number;
  runtime?: { name: string; reason: string; detail: string };
  dump?: { path: string | null; age_seconds: number | null; stale: boolean; stale_threshold_seconds: number };
  golden?: { key: string; bytes: number | null } | null;
  reseed?: { running: boolean; last: { at: string; result: string } | null; next_at: string | null };
  targets?: string[];
}

export interface Session {
  owner: string;
  admin: boolean;
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-ditto-csrf'] = '1';
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, credentials: 'same-origin', cache: 'no-store', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: the status line says enough.
  }
  if (!response.ok) {
    const error = json as { error?: string; hint?: string } | null;
    throw new ApiError(response.status, error?.error ? `${error.error}${error.hint ? ` (${error.hint})` : ''}` : `HTTP ${response.status}`);
  }
  return json as T;
}
