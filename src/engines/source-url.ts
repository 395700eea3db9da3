import { maskUrl } from '../config/secrets.js';
import { DittoError } from '../errors.js';

/**
 * A database URL of one of an engine's `schemes`; the error names what was expected (`what`, e.g.
 * "a postgresql://") and shows the URL with its password masked.
 */
export function parseSourceUrl(raw: string, schemes: readonly string[], what: string, example: string): URL {
  const hint = `give a ${example} URL`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DittoError('BAD_INPUT', `source ${maskUrl(raw)} is not a URL`, { hint });
  }
  if (!schemes.includes(url.protocol.slice(0, -1))) throw new DittoError('BAD_INPUT', `source ${maskUrl(raw)} is not ${what} URL`, { hint });
  return url;
}

/** The URL with its password taken out, and the password (decoded): tools get it through their environment, never argv. */
export function takePassword(url: URL): { url: URL; password: string | null } {
  const password = url.password ? decodeURIComponent(url.password) : null;
  url.password = '';
  return { url, password };
}
