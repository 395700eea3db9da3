import type { TlsMode } from './endpoint.js';

/** The life of a copy (docs/architecture.md, "A copy's life"). `warm` distinguishes ready-unclaimed from ready-claimed. */
export const COPY_STATUSES = ['pending', 'creating', 'ready', 'destroying', 'destroyed', 'failed'] as const;
export type CopyStatus = (typeof COPY_STATUSES)[number];

export const FINAL_STATUSES: readonly CopyStatus[] = ['destroyed', 'failed'];
/** States in which a process is actively driving the copy and its pid matters. */
export const DRIVEN_STATUSES: readonly CopyStatus[] = ['pending', 'creating', 'destroying'];

export const RUNTIME_NAMES = ['local', 'docker'] as const;
export type RuntimeName = (typeof RUNTIME_NAMES)[number];
/** The databases ditto knows (src/engines/registry.ts holds an engine for each). */
export const ENGINE_NAMES = ['postgres', 'mysql'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export interface Copy {
  id: string;
  status: CopyStatus;
  /** Ready and not yet claimed: part of the warm pool. */
  warm: boolean;
  runtime: RuntimeName;
  engine: EngineName;
  host: string;
  port: number | null;
  /** Set when its server takes TLS connections only: what its connection string asks of clients. */
  tls: TlsMode | null;
  user: string;
  password: string;
  database: string;
  label: string | null;
  /** Its name (`up --name`): one live copy of a name per owner, handed back to whoever asks for it again. */
  name: string | null;
  /** Who asked for it on a shared host (a token's name); null for local use. */
  owner: string | null;
  runId: string | null;
  jobName: string | null;
  ttlSeconds: number;
  /** The dump it was restored from, or null for an empty database. */
  dumpPath: string | null;
  /** Scrubbed with the obfuscation rules as it was made (`up --obfuscate`). */
  obfuscated: boolean;
  /** Which `up` requests this copy can serve while warm. */
  poolKey: string | null;
  /** The process an in-flight warm copy is promised to. */
  reservedBy: string | null;
  /** The golden snapshot it was cloned from, if any. */
  goldenKey: string | null;
  /** A copy for a user, or the builder of a golden snapshot (internal: not listed, not destroyed by `down`). */
  purpose: 'copy' | 'golden';
  createdAt: number;
  readyAt: number | null;
  claimedAt: number | null;
  expiresAt: number | null;
  destroyedAt: number | null;
  /** The process driving a pending/creating/destroying copy, as "pid:start-time". */
  driver: string | null;
  driverHost: string | null;
  errorMessage: string | null;
}

export interface CopyEvent {
  copyId: string;
  action: string;
  actor: string;
  metadata: Record<string, unknown>;
  createdAt: number;
}

export function isFinal(status: CopyStatus): boolean {
  return FINAL_STATUSES.includes(status);
}
