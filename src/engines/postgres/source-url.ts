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

/**
 * `url` with its sslmode meaning what libpq (and so psql, and a copy's connection string) means by
 * it: node-postgres otherwise takes `require` as `verify-full`, and refuses a copy's certificate,
 * which names the host its clients reach.
 */
export function libpqSslModes(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url; // not a URL: whoever connects says what is wrong with it
  }
  if (parsed.searchParams.has('sslmode') && !parsed.searchParams.has('uselibpqcompat')) parsed.searchParams.set('uselibpqcompat', 'true');
  return parsed.toString();
}
