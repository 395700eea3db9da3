import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { DittoError, asDittoError } from '../errors.js';
import { withoutDiskPaths } from '../support/path-redaction.js';

/**
 * The request body as JSON, at most `limit` bytes: a Content-Length over the limit is refused
 * before reading, and a body that streams past it is cut off. An empty body is `{}`.
 */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const tooLarge = () => new DittoError('TOO_LARGE', `request body over ${limit} bytes`, { hint: 'send a smaller request' });
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw tooLarge();
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof DittoError) throw err;
    // The connection ended mid-body ('aborted'): the caller's doing, not a failure of the host.
    throw new DittoError('INTERRUPTED', 'the client went away before its request body was read', { cause: err });
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DittoError('BAD_INPUT', 'request body is not valid JSON', { hint: 'send a JSON object' });
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    // No content (204), or accepted with nothing to say (202).
    res.writeHead(status, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

/**
 * `{"error": ...}` with the status the error's code maps to; `code` and `hint` let ditto's own
 * client rebuild the error. The caller is remote: no path of the host's disk is named (the
 * host's log keeps the whole line: see `hidesPaths`).
 */
export function sendError(res: ServerResponse, err: unknown, headers: Record<string, string> = {}): number {
  const error = asDittoError(err);
  const status = error.httpStatus;
  const body = errorBody(error);
  if (error.retryAfterSeconds !== undefined) headers = { ...headers, 'retry-after': String(error.retryAfterSeconds) };
  if (res.headersSent) {
    res.destroy();
    return status;
  }
  // An oversized body was left unread: the connection cannot carry another request.
  sendJson(res, status, body, error.code === 'TOO_LARGE' ? { ...headers, connection: 'close' } : headers);
  return status;
}

/** Whether the answer to `err` leaves out paths its message names: the host's log then keeps the message whole. */
export function hidesPaths(err: unknown): boolean {
  const { message, hint } = asDittoError(err);
  return withoutDiskPaths(message) !== message || (hint !== undefined && withoutDiskPaths(hint) !== hint);
}

/** The JSON error a remote caller is sent: one line, naming no path of the host's disk. */
function errorBody(error: DittoError): { error: string; code: string; hint?: string } {
  return { error: withoutDiskPaths(error.message.split('\n')[0]!), code: error.code, ...(error.hint ? { hint: withoutDiskPaths(error.hint) } : {}) };
}

/**
 * The answer to a request Node.js cannot parse (an unknown method, a malformed header, headers
 * over its limit, a request not received in time): the API's JSON error where Node.js would
 * write a bare status line, then the connection closes. As Node.js does, nothing is written once
 * an answer has begun on the connection.
 */
export function answerUnparsable(err: NodeJS.ErrnoException, socket: Duplex & { bytesWritten?: number }): void {
  if (err.code === 'ECONNRESET' || !socket.writable || (socket.bytesWritten ?? 0) > 0) {
    socket.destroy();
    return;
  }
  const error =
    err.code === 'HPE_HEADER_OVERFLOW' || err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
      ? new DittoError('TOO_LARGE', 'request headers over the host\'s limit', { hint: 'send a shorter path and fewer or shorter headers' })
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new DittoError('BAD_INPUT', 'the request was not received in time', { hint: 'send the whole request at once' })
        : new DittoError('BAD_INPUT', 'malformed HTTP request', { hint: 'send HTTP/1.1 with a known method (GET, POST, PATCH, DELETE)' });
  const text = JSON.stringify(errorBody(error));
  const head = [`HTTP/1.1 ${error.httpStatus} ${STATUS_CODES[error.httpStatus]}`, 'content-type: application/json; charset=utf-8', `content-length: ${Buffer.byteLength(text)}`, 'connection: close'];
  // Closed once written: a client that never closes its side does not keep the socket.
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`, () => socket.destroy());
}
