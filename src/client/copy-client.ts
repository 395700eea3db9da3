import type { CopyEvent, CopyStatus, RuntimeName } from '../copies/copy.js';

/** What `up` asks for. Every field is optional: config supplies the defaults. */
export interface UpRequest {
  ttlSeconds?: number | undefined;
  label?: string | undefined;
  /** A dump to restore instead of the configured one. */
  dumpUri?: string | undefined;
  obfuscate?: boolean | undefined;
  runId?: string | undefined;
  jobName?: string | undefined;
}

export interface UpOptions {
  /** Called with each step of provisioning, for progress display. */
  onProgress?: (step: string) => void;
  /** Aborting fails the copy being made and removes what was made of it. */
  signal?: AbortSignal;
}

/** A copy as clients see it: everything but its password. */
export interface CopyInfo {
  id: string;
  status: CopyStatus;
  warm: boolean;
  runtime: RuntimeName;
  host: string;
  port: number | null;
  label: string | null;
  runId: string | null;
  jobName: string | null;
  ttlSeconds: number;
  createdAt: number;
  readyAt: number | null;
  expiresAt: number | null;
  destroyedAt: number | null;
  errorMessage: string | null;
}

/** A copy handed to its user: with the connection string, and notes worth a line on stderr. */
export interface IssuedCopy extends CopyInfo {
  connectionString: string;
  notices: string[];
}

export interface DownSelector {
  ids?: string[];
  all?: boolean;
  label?: string;
}

export interface DownResult {
  destroyed: CopyInfo[];
  /** Ids that were already destroyed or failed: nothing to do. */
  alreadyGone: string[];
}

export interface StatusReport {
  version: string;
  runtime: { name: RuntimeName | 'remote'; reason: string; detail: string };
  dump: { path: string | null; ageSeconds: number | null; stale: boolean; staleThresholdSeconds: number };
  pool: { ready: number; target: number };
  ports: { min: number; max: number; free: number };
  copies: { active: number; provisioning: number };
}

/**
 * What every command asks of ditto. The local Manager and the HTTP client both implement it, so a
 * command behaves the same against this machine or a shared host.
 */
export interface CopyClient {
  up(request: UpRequest, options?: UpOptions): Promise<IssuedCopy>;
  down(selector: DownSelector): Promise<DownResult>;
  list(options?: { all?: boolean }): Promise<CopyInfo[]>;
  events(id: string): Promise<CopyEvent[]>;
  status(): Promise<StatusReport>;
  close(): Promise<void>;
}
