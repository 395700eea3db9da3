import type { DumpSource } from '../engine.js';
import { parseSourceUrl, takePassword } from '../source-url.js';

export const POSTGRES_SCHEMES = ['postgresql', 'postgres'] as const;

/**
 * A database URL split into the URL without its password, and the password: client tools get the
 * password through the environment, so it never shows in a process list. libpq also takes the
 * password as a `password` parameter.
 */
export function splitPassword(raw: string): DumpSource {
  const parsed = parseSourceUrl(raw, POSTGRES_SCHEMES, 'a postgresql://', 'postgresql://user:password@host:port/database');
  const { url, password: inUserInfo } = takePassword(parsed);
  let password = inUserInfo;
  const param = url.searchParams.get('password');
  if (param !== null) {
    password = param;
    url.searchParams.delete('password');
  }
  return { url: url.toString(), password };
}
