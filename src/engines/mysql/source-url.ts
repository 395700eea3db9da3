import { maskUrl } from '../../config/secrets.js';
import { DittoError } from '../../errors.js';
import type { DumpSource } from '../engine.js';

export const MYSQL_SCHEMES = ['mysql', 'mariadb'] as const;

/** What a client needs to reach a MySQL database: MySQL's tools take these as flags, not as a URL. */
export interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  password: string | null;
  database: string;
}

const HINT = 'give a mysql://user:password@host:port/database URL';

function parse(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DittoError('BAD_INPUT', `source ${maskUrl(raw)} is not a URL`, { hint: HINT });
  }
  if (!(MYSQL_SCHEMES as readonly string[]).includes(url.protocol.slice(0, -1))) {
    throw new DittoError('BAD_INPUT', `source ${maskUrl(raw)} is not a mysql:// or mariadb:// URL`, { hint: HINT });
  }
  return url;
}

/** A source URL split for the dump tool: the password goes to its environment, never into argv. */
export function splitMysqlPassword(raw: string): DumpSource {
  const url = parse(raw);
  const password = url.password ? decodeURIComponent(url.password) : null;
  url.password = '';
  return { url: url.toString(), password };
}

/** The parts of a mysql:// URL (the password, when there is one, from `password`). */
export function mysqlTarget(raw: string, password: string | null): MysqlTarget {
  const url = parse(raw);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new DittoError('BAD_INPUT', `source ${maskUrl(raw)} names no database`, { hint: HINT });
  return {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username) || 'root',
    password: password ?? (url.password ? decodeURIComponent(url.password) : null),
    database,
  };
}
