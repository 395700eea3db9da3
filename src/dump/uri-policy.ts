import { DittoError } from '../errors.js';
import { maskUrl } from '../config/secrets.js';

/** The schemes a host fetches for its callers. */
const SCHEMES = new Set(['http:', 'https:', 's3:']);
/** Percent-encoded unreserved characters (RFC 3986 section 2.3): the same URL either way, so decoded. */
const ENCODED_UNRESERVED = /%(4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E)/gi;
/**
 * Escapes a server may decode into a separator, or that end a string: a segment `..%2F` is one
 * segment here and two dots and a slash to a server that decodes before it resolves. Refused.
 */
const ENCODED_SEPARATOR = /%(2F|5C|00)/i;

/**
 * The one form of a dump URI that is both checked and fetched: parsed as a URL (WHATWG, as the
 * fetch parses it: `.` and `..` and their escapes resolved, scheme and host lower-cased, default
 * ports dropped), percent-encoded unreserved characters decoded and other escapes upper-cased,
 * until it no longer changes. Refuses what cannot be checked safely: user info, encoded slashes,
 * backslashes and NULs, a port on s3://.
 */
export function normalizeDumpUri(raw: string): string {
  let url = parse(raw);
  for (let round = 0; round < 4; round++) {
    const before = url.href;
    if (url.username || url.password) throw refused(raw, 'it carries user info (user:password@)');
    if (ENCODED_SEPARATOR.test(url.pathname)) throw refused(raw, 'its path has an encoded slash, backslash or NUL');
    if (url.protocol === 's3:' && url.port) throw refused(raw, 'an s3:// URI names a bucket, not a host and port');
    const path = url.pathname.replace(ENCODED_UNRESERVED, (escape) => String.fromCharCode(parseInt(escape.slice(1), 16))).replace(/%[0-9a-f]{2}/gi, (e) => e.toUpperCase());
    url = parse(`${url.protocol}//${url.host.toLowerCase()}${path}${url.search}${url.hash}`);
    if (url.href === before) return url.href;
  }
  throw refused(raw, 'it does not settle to one form');
}

function parse(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DittoError('BAD_INPUT', `dump_uri ${maskUrl(raw)} is not a URL`, { hint: 'give an http(s):// or s3:// URL' });
  }
  if (!SCHEMES.has(url.protocol)) throw new DittoError('BAD_INPUT', `dump_uri ${maskUrl(raw)} is not an http(s):// or s3:// URL`, { hint: 'give an http(s):// or s3:// URL' });
  if (!url.host) throw new DittoError('BAD_INPUT', `dump_uri ${maskUrl(raw)} names no host or bucket`, { hint: 'write it as http(s)://host/path or s3://bucket/key' });
  return url;
}

function refused(raw: string, why: string): DittoError {
  return new DittoError('FORBIDDEN', `dump_uri ${maskUrl(raw)} is refused: ${why}`, { hint: 'give a plain URL under one of the host\'s dump prefixes' });
}

/** A path's segments; a trailing slash (a directory) adds none. */
function segments(pathname: string): string[] {
  const parts = pathname.split('/').slice(1);
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/**
 * Which dump URIs a host fetches for its callers (host.dump_uris): a URI is allowed when, in its
 * normal form, it has a prefix's origin and begins with the prefix's whole path segments, so
 * `/dumps/` allows `/dumps/a.dump` but neither `/dumps-old/a.dump`, `/dumps/../secret` nor `/dumps`.
 */
export class DumpUriPolicy {
  private readonly prefixes: URL[];

  /** Throws CONFIG for a prefix that is no URL this policy can match (a query, a fragment, user info). */
  constructor(readonly configured: readonly string[]) {
    this.prefixes = configured.map((prefix) => {
      let url: URL;
      try {
        url = new URL(normalizeDumpUri(prefix));
      } catch (err) {
        throw new DittoError('CONFIG', `host.dump_uris: ${maskUrl(prefix)} is not a usable prefix: ${(err as Error).message}`, { hint: 'list URL prefixes such as https://files.example/dumps/ or s3://bucket/dumps/' });
      }
      if (url.search || url.hash) throw new DittoError('CONFIG', `host.dump_uris: ${maskUrl(prefix)} has a query or fragment`, { hint: 'a prefix is an origin and a path' });
      return url;
    });
  }

  /** Whether `uri` (already in normal form) lies under an allowed prefix. */
  allows(uri: string): boolean {
    let url: URL;
    try {
      url = new URL(normalizeDumpUri(uri));
    } catch {
      return false;
    }
    if (url.href !== uri) return false;
    const path = segments(url.pathname);
    return this.prefixes.some((prefix) => {
      if (prefix.protocol !== url.protocol || prefix.host !== url.host) return false;
      const want = segments(prefix.pathname);
      // A prefix that ends in a slash is a directory: what it allows lies below it, not the directory itself.
      const below = prefix.pathname.endsWith('/') ? want.length < path.length : want.length <= path.length;
      return below && want.every((segment, i) => segment === path[i]);
    });
  }

  /** The normal form of a caller's `uri`, which is what the host then fetches; FORBIDDEN when no prefix allows it. */
  check(uri: string): string {
    const normal = normalizeDumpUri(uri);
    if (this.allows(normal)) return normal;
    throw new DittoError('FORBIDDEN', `dump_uri ${maskUrl(uri)} is not allowed on this host`, {
      hint: this.configured.length ? `use a dump under ${this.configured.join(', ')}` : 'this host takes no dump_uri from callers; ask its operator to list a prefix in host.dump_uris',
    });
  }
}
