import type { Caller } from '../model/caller.js';
import type { CopyClient } from '../model/copy-client.js';
import type { HostServices } from './routes.js';

/**
 * The host's copies as one caller reaches them, the way its /v2 routes do: a new copy admitted
 * by the caller's limits (host.max_copies_per_owner, host.dump_uris), every write published to
 * the mirror before its answer, reads from the mirror. What `/v2/mcp`'s tools are given.
 */
export function callerCopies(host: HostServices, caller: Caller, signal: AbortSignal): CopyClient {
  const { copies } = host;
  const written = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } finally {
      await host.afterWrite();
    }
  };
  return {
    async up(request, options = {}) {
      const release = await host.limits.admit(caller, () => host.reads.list(caller, false));
      try {
        return await written(() => copies.up(request, { ...options, caller, signal: options.signal ?? signal, dumpUrls: host.limits.dumpUris }));
      } finally {
        release();
      }
    },
    down: (selector) => written(() => copies.down(selector, { caller })),
    extend: (id, ttlSeconds) => written(() => copies.extend(id, ttlSeconds, { caller })),
    reset: (id, options = {}) => written(() => copies.reset(id, { ...options, caller, signal: options.signal ?? signal })),
    createDatabase: (id) => copies.createDatabase(id, { caller }),
    dropDatabase: (id, name) => copies.dropDatabase(id, name, { caller }),
    sql: (id, request, options = {}) => copies.sql(id, request, { caller, signal: options.signal ?? signal }),
    schema: (id, options = {}) => copies.schema(id, { database: options.database, caller }),
    list: (options = {}) => host.reads.list(caller, options.all ?? false),
    events: (id) => host.reads.events(caller, id),
    status: () => copies.status({ caller }),
    close: async () => {},
  };
}
