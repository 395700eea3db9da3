import type { Config } from '../config/schema.js';
import { resolveSecret } from '../config/secrets.js';
import { asDittoError } from '../errors.js';

/** What a failed reseed tells its hooks: no password, token or signed URL. */
export interface ReseedFailure {
  event: 'reseed_failed';
  error: string;
  code: string;
  hint: string | null;
  /** The source or file, as ditto shows it (its password masked). */
  source: string | null;
  home: string;
  at: string;
}

const HOOK_TIMEOUT_MS = 10_000;
/** A URL's credentials (`scheme://user:password@`), in case one slipped into an error text. */
const CREDENTIALS = /([a-z][\w+.-]*:\/\/[^\s:/@]*:)[^\s@]*@/gi;

/** `text` with any URL's password masked: what a hook may be told of an error. */
export function scrubbed(text: string): string {
  return text.replace(CREDENTIALS, '$1***@');
}

/**
 * dump.on_failure: posts the failure to the webhook and runs the command, each bounded in time;
 * their own failures are returned as lines for the log, never thrown over the reseed's error.
 */
export async function runFailureHooks(config: Config, home: string, err: unknown, source: string | null): Promise<string[]> {
  const hooks = config.dump.on_failure;
  if (!hooks) return [];
  const error = asDittoError(err);
  const failure: ReseedFailure = {
    event: 'reseed_failed',
    error: scrubbed(error.message),
    code: error.code,
    hint: error.hint ? scrubbed(error.hint) : null,
    source: source === null ? null : scrubbed(source),
    home,
    at: new Date().toISOString(),
  };
  const problems: string[] = [];
  if (hooks.webhook_url) {
    try {
      const url = resolveSecret(hooks.webhook_url, 'dump.on_failure.webhook_url');
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'ditto' },
        body: JSON.stringify(failure),
        signal: AbortSignal.timeout(HOOK_TIMEOUT_MS),
      });
      if (!response.ok) problems.push(`dump.on_failure.webhook_url answered HTTP ${response.status}`);
    } catch (hookErr) {
      problems.push(`dump.on_failure.webhook_url: ${scrubbed((hookErr as Error).message)}`);
    }
  }
  if (hooks.exec) {
    const { execa } = await import('execa');
    const env = { DITTO_RESEED_ERROR: failure.error, DITTO_RESEED_CODE: failure.code, DITTO_RESEED_SOURCE: failure.source ?? '', DITTO_RESEED_HINT: failure.hint ?? '' };
    const ran = await execa('/bin/sh', ['-c', hooks.exec], { env, stdin: 'ignore', reject: false, timeout: HOOK_TIMEOUT_MS * 6 });
    if (ran.exitCode !== 0) problems.push(`dump.on_failure.exec ${ran.timedOut ? 'did not finish in time' : `exited with ${ran.exitCode ?? ran.signal}`}`);
  }
  return problems;
}
