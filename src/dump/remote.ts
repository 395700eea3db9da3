import type { Readable } from 'node:stream';
import type { UriRecord } from './dump-cache.js';

/** A dump as a remote server offers it. */
export interface RemoteObject {
  /** The content; null when the server says the copy fetched before (`known`) is still current. */
  body: Readable | null;
  /** The announced size, when there is one. */
  length: number | null;
  etag: string | null;
  lastModified: string | null;
  /** The content's MD5 (hex), when the server vouches for one: checked after the download. */
  md5: string | null;
}

/** Fetches one URI, conditionally on what was fetched from it before. */
export type Fetch = (known: UriRecord | null, signal?: AbortSignal) => Promise<RemoteObject>;
