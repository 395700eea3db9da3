import type { Writable } from 'node:stream';
import type pg from 'pg';

/** The parts of pg's connection a query submitted to it sees (its wire protocol, and the socket under it). */
interface Connection {
  query(text: string): void;
  stream: { pause(): void; resume(): void };
}

/**
 * Runs `COPY (...) TO STDOUT` on `client` and writes what the server sends into `sink` as it
 * comes, pausing the socket while `sink` is full: a table of any size passes through without
 * being held here. Resolves to the number of rows copied. (The pg driver runs any object with a
 * `submit` method as a query and hands it the protocol's messages.)
 */
export function copyOut(client: pg.Client, sql: string, sink: Writable): Promise<number> {
  return new Promise((resolve, reject) => {
    let rows = 0;
    let paused = false;
    const query = {
      submit(connection: Connection) {
        connection.query(sql);
      },
      handleCopyData(msg: { chunk: Buffer }, connection: Connection) {
        // The chunk is a view of the driver's read buffer, which the next read reuses: the sink may queue it, so it gets a copy.
        if (!sink.write(Buffer.from(msg.chunk)) && !paused) {
          // Messages already read keep coming while the socket is paused: one wait for the drain is enough.
          paused = true;
          connection.stream.pause();
          sink.once('drain', () => {
            paused = false;
            connection.stream.resume();
          });
        }
      },
      handleCommandComplete(msg: { text: string }) {
        rows = Number(/^COPY (\d+)/.exec(msg.text)?.[1] ?? 0);
      },
      // At once: a connection that drops sends no ReadyForQuery after its error (a later resolve is then a no-op).
      handleError(err: Error) {
        reject(err);
      },
      handleReadyForQuery() {
        resolve(rows);
      },
      // The other messages of a simple query (none come for a COPY TO STDOUT that succeeds).
      handleRowDescription() {},
      handleDataRow() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
      handleCopyInResponse() {},
    };
    client.query(query as unknown as pg.Submittable);
  });
}
