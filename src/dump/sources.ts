import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import type { Engine } from '../engines/engine.js';
import { DittoError } from '../errors.js';
import { formatBytes } from '../support/byte-size.js';
import { DumpCache } from './dump-cache.js';
import { removeQuietly } from '../support/files.js';
import type { Fetch, RemoteObject } from './remote.js';
import { maskUrl } from '../config/secrets.js';

export interface DumpSourceContext {
  config: Config;
  home: string;
  engine: Engine;
  signal?: AbortSignal | undefined;
  /** Where an http(s) redirect may lead (a host's callers: host.dump_uris); anywhere when absent. */
  allowed?: { allows(uri: string): boolean } | undefined;
}

/**
 * The local file behind a `--dump` URI: a path (or file:// URL) as it is; an http(s):// or s3://
 * dump from the download cache, fetched first when the cache lacks it or the server says it
 * changed. A `#sha256=<hex>` fragment pins the content: a cached copy with that hash is used
 * without asking the server, and a download with another hash is refused.
 */
export async function resolveDump(uri: string, ctx: DumpSourceContext): Promise<string> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) return path.resolve(uri);
  if (scheme === 'file') return fileURLToPath(uri);
  const fetcher = remoteFetch(scheme, uri, ctx);
  const expected = pinnedHash(uri);
  const cache = new DumpCache(ctx.home, ctx.config.dump.cache_max_bytes);
  if (expected) {
    const hit = cache.get(expected);
    if (hit) return hit;
  }
  const key = uri.replace(/#.*$/, '');
  // A pinned hash the cache lacks is fetched whole: a 304 would vouch for what was fetched before.
  let known = expected ? null : cache.lookup(key);
  let remote = await fetcher(known, ctx.signal);
  if (!remote.body && known) {
    const hit = cache.get(known.sha256);
    if (hit) return hit;
    // Evicted between the look-up and now: fetch it whole.
    known = null;
    remote = await fetcher(null, ctx.signal);
  }
  if (!remote.body) throw new DittoError('REMOTE', `${maskUrl(key)} answered "not modified" to a request for the whole dump`);
  const { file, sha256, size } = await download(remote, uri, expected, cache, ctx);
  cache.remember(key, { sha256, size, etag: remote.etag, lastModified: remote.lastModified });
  return file;
}

function remoteFetch(scheme: string, uri: string, { config, allowed }: DumpSourceContext): Fetch {
  switch (scheme) {
    case 'http':
    case 'https':
      return async (known, signal) => (await import('./http-source.js')).fetchHttp(uri, known, { caFile: config.dump.ca_file, allowed }, signal);
    case 's3':
      return async (known, signal) => (await import('./s3-source.js')).fetchS3(uri.replace(/#.*$/, ''), known, config.dump.s3, signal);
    default:
      throw new DittoError('BAD_INPUT', `unsupported dump URI scheme '${scheme}://' in ${maskUrl(uri)}`, {
        hint: 'give a local path, an http(s):// URL or an s3://bucket/key URI',
      });
  }
}

function pinnedHash(uri: string): string | null {
  const fragment = /#(.*)$/.exec(uri)?.[1];
  if (fragment === undefined) return null;
  const match = /^sha256=([0-9a-f]{64})$/i.exec(fragment);
  if (!match) throw new DittoError('BAD_INPUT', `bad fragment '#${fragment}' in dump URI ${maskUrl(uri.replace(/#.*$/, ''))}`, { hint: 'the only one understood is #sha256=<64 hex digits>' });
  return match[1]!.toLowerCase();
}

/**
 * Streams a dump into a partial file in the cache, counting, hashing and checking it on the way:
 * the size limit, the announced length, the MD5 the server vouches for, the pinned hash, and that
 * it is a dump at all. Only then does it become a cache entry; a failure removes the partial file.
 */
async function download(remote: RemoteObject, uri: string, expected: string | null, cache: DumpCache, ctx: DumpSourceContext) {
  const shown = maskUrl(uri.replace(/#.*$/, ''));
  const max = ctx.config.dump.max_download_bytes;
  const tooLarge = (what: string) =>
    new DittoError('DUMP_INVALID', `dump ${shown} ${what} the limit, dump.max_download_bytes (${formatBytes(max)})`, {
      hint: 'raise dump.max_download_bytes in ditto.yaml if it is meant to be this large',
    });
  if (remote.length !== null && remote.length > max) {
    remote.body!.destroy();
    throw tooLarge(`is ${formatBytes(remote.length)}, over`);
  }
  const part = cache.newPart();
  try {
    const sha = crypto.createHash('sha256');
    const md5 = crypto.createHash('md5');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > max) return done(tooLarge('grew past'));
        sha.update(chunk);
        md5.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(remote.body!, meter, fs.createWriteStream(part), ...(ctx.signal ? [{ signal: ctx.signal }] : []));
    } catch (err) {
      if (err instanceof DittoError) throw err;
      if (ctx.signal?.aborted) throw new DittoError('INTERRUPTED', `interrupted while fetching ${shown}`);
      throw new DittoError('REMOTE', `download of ${shown} broke off after ${formatBytes(size)}: ${(err as Error).message}`, { hint: 'try again' });
    }
    const sha256 = sha.digest('hex');
    if (remote.length !== null && size !== remote.length) {
      throw new DittoError('REMOTE', `download of ${shown} is incomplete: ${size} of ${remote.length} bytes`, { hint: 'try again' });
    }
    if (remote.md5 !== null && md5.digest('hex') !== remote.md5) {
      throw new DittoError('DUMP_INVALID', `download of ${shown} does not match the MD5 the server gives for it`, { hint: 'try again; if it persists the object is damaged' });
    }
    if (expected !== null && sha256 !== expected) {
      throw new DittoError('DUMP_INVALID', `download of ${shown} has sha256 ${sha256}, not the ${expected} its URI asks for`, { hint: 'check the #sha256= fragment, or whether the dump was replaced' });
    }
    try {
      await ctx.engine.inspectDump(part, { binDir: null });
    } catch (err) {
      const reason = err instanceof DittoError ? err.message.replace(`dump file ${part} `, '').replace(part, 'it') : String(err);
      throw new DittoError('DUMP_INVALID', `download of ${shown} is not a dump: ${reason}`, { hint: `check the URL points at a ${ctx.engine.name} dump` });
    }
    return { file: cache.admit(part, sha256), sha256, size };
  } finally {
    removeQuietly(part);
  }
}
