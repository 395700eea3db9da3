import { maskUrl } from '../../config/secrets.js';
import { DittoError } from '../../errors.js';
import type { DumpSource } from '../engine.js';
import { parseSourceUrl, takePassword } from '../source-url.js';

export const MYSQL_SCHEMES = ['mysql', 'mariadb'] as const;

/** What a client needs to reach a MySQL database: MySQL's tools take these as flags, not as a URL. */
export interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  password: string | null;
  database: string;
}

const EXAMPLE = 'mysql://user:password@host:port/database';

function parse(raw: string): URL {
  return parseSourceUrl(raw, MYSQL_SCHEMES, 'a mysql:// or mariadb://', EXAMPLE);
}

/** A source URL split for the dump tool: the password goes to its environment, never into argv. */
export function splitMysqlPassword(raw: string): DumpSource {
  const { url, password } = takePassword(parse(raw));
  return { url: url.toString(), password };
}

/** The parts of a mysql:// URL (the password, when there is one, from `password`). */
export function mysqlTarget(raw: string, password: string | null): MysqlTarget {
  const url = parse(raw);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new DittoError('BAD_INPUT', `source ${maskUrl(raw)} names no database`, { hint: `give a ${EXAMPLE} URL` });
  return {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username) || 'root',
    password: password ?? (url.password ? decodeURIComponent(url.password) : null),
    database,
  };
}
