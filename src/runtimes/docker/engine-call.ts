import { connectReason, isConnectError, unreachable, type EngineAddress } from './docker-endpoint.js';

/** The error dockerode attaches to an engine's non-2xx answer. */
export interface EngineError {
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

/** Runs an engine call, turning "no engine there" into the one RUNTIME_UNAVAILABLE error. */
export async function engineCall<T>(address: EngineAddress, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isConnectError(err)) throw unreachable(address, connectReason(err));
    throw err;
  }
}

/** The engine's own words for a failed request, without dockerode's "(HTTP code 404) ..." prefix. */
export function engineMessage(err: unknown): string {
  const e = err as EngineError;
  const text = typeof e.json?.message === 'string' ? e.json.message : (e.message ?? String(err));
  return text.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}
