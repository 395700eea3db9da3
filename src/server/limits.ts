import type { HostConfig } from '../config/schema.js';
import { DumpUriPolicy } from '../dump/uri-policy.js';
import { DittoError } from '../errors.js';
import type { Caller } from '../model/caller.js';
import type { CopyInfo } from '../model/copy-client.js';

/** When a caller at its limit has no copy due to expire (all are still being made): try again after this. */
const RETRY_WITHOUT_EXPIRY_S = 30;

/**
 * What a shared host allows one caller: how many live copies it may hold (host.max_copies_per_owner,
 * admins exempt), and which dump URIs it may make the host fetch (host.dump_uris: none unless
 * listed, so no caller can point the host at an address of its choosing).
 */
export class CallerLimits {
  /** Copies being made for each owner in this process: counted before their records exist. */
  private readonly inFlight = new Map<string, number>();

  /** host.dump_uris, checked at start: a prefix it cannot match is a CONFIG error then, not at a caller's request. */
  readonly dumpUris: DumpUriPolicy;

  constructor(private readonly host: HostConfig) {
    this.dumpUris = new DumpUriPolicy(host.dump_uris);
  }

  /**
   * Admits one more copy for `caller`, or refuses with QUOTA and when to retry (its soonest
   * expiry). `liveCopies` reads the caller's live copies, only when a limit applies. The returned
   * function gives the place back once the request is done (its copy, if made, is then live).
   */
  async admit(caller: Caller, liveCopies: () => Promise<CopyInfo[]>): Promise<() => void> {
    const max = this.host.max_copies_per_owner;
    if (max === undefined || caller.admin) return () => {};
    const live = await liveCopies();
    const making = this.inFlight.get(caller.owner) ?? 0;
    if (live.length + making >= max) {
      const expiries = live.map((c) => c.expiresAt).filter((t): t is number => t !== null);
      const retry = expiries.length ? Math.max(1, Math.ceil((Math.min(...expiries) - Date.now()) / 1000)) : RETRY_WITHOUT_EXPIRY_S;
      throw new DittoError('QUOTA', `${caller.owner} holds ${live.length + making} copies, the most this host allows one caller (host.max_copies_per_owner: ${max})`, {
        hint: 'destroy one (ditto down) or wait for one to expire',
        retryAfterSeconds: retry,
      });
    }
    this.inFlight.set(caller.owner, making + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(caller.owner) ?? 1) - 1;
      if (left > 0) this.inFlight.set(caller.owner, left);
      else this.inFlight.delete(caller.owner);
    };
  }
}
