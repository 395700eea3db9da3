import type { Readable } from 'node:stream';
import type { Config } from '../config/schema.js';
import { DittoError } from '../errors.js';
import type { UriRecord } from './dump-cache.js';
import type { RemoteObject } from './remote.js';
import { resolveSecret } from '../config/secrets.js';

/** An S3 error as the SDK throws it. */
interface S3Failure {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Fetches `s3://bucket/key`: a HEAD first, so an unchanged object (same ETag as the copy fetched
 * before) costs no download. The SDK is loaded here, on the first s3:// URI, and never otherwise:
 * it is large and most runs have no use for it.
 */
export async function fetchS3(uri: string, known: UriRecord | null, settings: Config['dump']['s3'], signal?: AbortSignal): Promise<RemoteObject> {
  const { bucket, key } = parseS3Uri(uri);
  // The SDK warns on stderr about Node versions it will stop supporting one day: noise in a CLI whose
  // stderr is one line per problem, and not the user's to act on here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { S3Client, HeadObjectCommand, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const credentials =
    settings.access_key_id && settings.secret_access_key
      ? { accessKeyId: resolveSecret(settings.access_key_id, 'dump.s3.access_key_id'), secretAccessKey: resolveSecret(settings.secret_access_key, 'dump.s3.secret_access_key') }
      : undefined;
  const client = new S3Client({
    region: settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.force_path_style,
    ...(credentials ? { credentials } : {}),
    // One retry: an unreachable server should fail in seconds, not after the default back-off.
    maxAttempts: 2,
    // Integrity is checked by ditto (size, ETag as MD5, #sha256=); S3-compatible servers vary in checksum support.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const what = `s3://${bucket}/${key}`;
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    const etag = head.ETag ?? null;
    if (known && etag !== null && known.etag === etag) return { body: null, length: head.ContentLength ?? null, etag, lastModified: null, md5: null };
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(etag ? { IfMatch: etag } : {}) }), { abortSignal: signal });
    const objectEtag = object.ETag ?? etag;
    return {
      body: object.Body as Readable,
      length: object.ContentLength ?? null,
      etag: objectEtag,
      lastModified: null,
      // A plain upload's ETag is the MD5 of its bytes; a multipart one ("...-N") or an encrypted one is not.
      md5: objectEtag && /^"?[0-9a-f]{32}"?$/i.test(objectEtag) && !object.SSEKMSKeyId ? objectEtag.replaceAll('"', '').toLowerCase() : null,
    };
  } catch (err) {
    throw s3Error(what, err as S3Failure, signal);
  } finally {
    client.destroy();
  }
}

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const url = new URL(uri);
  const key = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!url.hostname || !key) throw new DittoError('BAD_INPUT', `bad S3 URI ${uri}`, { hint: 'write it as s3://bucket/key' });
  return { bucket: url.hostname, key };
}

function s3Error(what: string, err: S3Failure, signal?: AbortSignal): DittoError {
  if (signal?.aborted) return new DittoError('INTERRUPTED', `interrupted while fetching ${what}`);
  const status = err.$metadata?.httpStatusCode;
  const name = err.name ?? err.code ?? '';
  if (status === 404 || /^(NotFound|NoSuchKey|NoSuchBucket)$/.test(name)) {
    return new DittoError('NOT_FOUND', `dump ${what} does not exist`, { hint: 'check the bucket and key (and dump.s3.endpoint for an S3-compatible server)' });
  }
  if (status === 401 || status === 403) {
    return new DittoError('REMOTE', `access to dump ${what} was refused (HTTP ${status})`, { hint: 'check the credentials (dump.s3 in ditto.yaml, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)' });
  }
  if (/credential/i.test(`${name} ${err.message ?? ''}`)) {
    return new DittoError('REMOTE', `no credentials for ${what}: ${err.message ?? name}`, { hint: 'set dump.s3.access_key_id and secret_access_key, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY' });
  }
  const reason = err.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(err.message ?? '') ? 'connection refused' : (err.message ?? name).split('\n')[0];
  return new DittoError('REMOTE', `cannot fetch dump ${what}: ${reason}${status ? ` (HTTP ${status})` : ''}`, { hint: 'check dump.s3.endpoint and that the server is up' });
}
