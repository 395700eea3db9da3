import { maskUrl } from '../../config/secrets.js';
import { DittoError } from '../../errors.js';
import type { DumpSource } from '../engine.js';

export const POSTGRES_SCHEMES = ['postgresql', 'postgres'] as const;

/**
 * A database URL split into the URL without its password, and the password: client tools get the
 * password through the environment, so it never shows in a process list.
 */
export function splitPassword(raw: string): DumpSource {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DittoError('BAD_INPUT', `source ${maskUrl(raw)} is not a URL`, { hint: 'give a postgresql://user:password@host:port/database URL' });
  }
  if (!(POSTGRES_SCHEMES as readonly string[]).includes(url.protocol.slice(0, -1))) {
    throw new DittoError('BAD_INPUT', `source ${maskUrl(raw)} is not a postgresql:// URL`, { hint: 'give a postgresql://user:password@host:port/database URL' });
  }
  let password: string | null = url.password ? decodeURIComponent(url.password) : null;
  url.password = '';
  const param = url.searchParams.get('password');
  if (param !== null) {
    password = param;
    url.searchParams.delete('password');
  }
  return { url: url.toString(), password };
}
