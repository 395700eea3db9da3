import type { Config } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import { DittoError } from '../errors.js';

/** A TTL asked of `up` or `extend`, refused past max_ttl: a copy nobody ends must still go. */
export function checkTtl(config: Config, seconds: number): number {
  if (seconds > config.max_ttl) {
    throw new DittoError('BAD_INPUT', `a TTL of ${formatDuration(seconds)} is past the most this home allows (max_ttl: ${formatDuration(config.max_ttl)})`, {
      hint: `ask for ${formatDuration(config.max_ttl)} or less, or raise max_ttl in ditto.yaml`,
    });
  }
  return seconds;
}
