import net from 'node:net';
import { DittoError } from '../errors.js';
import type { CopiesRepo } from '../state/copies-repo.js';

export interface PortRange {
  min: number;
  max: number;
}

/**
 * Ports for copies, from a bounded range. A lease is a row in state (so two ditto processes never
 * pick the same port) and a dial check (so a port some other program holds is skipped).
 */
export class PortPool {
  constructor(
    private readonly repo: CopiesRepo,
    readonly range: PortRange,
  ) {}

  /** Leases a free port to `copyId`, skipping `avoid` (ports that just failed to bind). */
  async lease(copyId: string, avoid: ReadonlySet<number> = new Set()): Promise<number> {
    const skipped = new Set(avoid);
    for (;;) {
      const leased = this.repo.leasedPorts();
      let candidate: number | undefined;
      for (let port = this.range.min; port <= this.range.max; port++) {
        if (!leased.has(port) && !skipped.has(port)) {
          candidate = port;
          break;
        }
      }
      if (candidate === undefined) throw this.exhausted(leased.size, skipped.size);
      if (await isPortHeld(candidate)) {
        skipped.add(candidate);
        continue;
      }
      if (this.repo.leasePort(copyId, candidate)) return candidate;
      // Another process leased it between our read and our insert: look again.
    }
  }

  /** Ports in the range that no copy leases (without dialing them). */
  freeCount(): number {
    const leased = this.repo.leasedPorts();
    let free = 0;
    for (let port = this.range.min; port <= this.range.max; port++) if (!leased.has(port)) free++;
    return free;
  }

  private exhausted(leased: number, busy: number): DittoError {
    const { min, max } = this.range;
    return new DittoError('NO_CAPACITY', `no free port in ${min}-${max} (${leased} leased by ditto, ${busy} held by other programs)`, {
      hint: 'destroy copies with `ditto down`, or widen ports.min/ports.max in ditto.yaml',
    });
  }
}

/** True when something accepts connections on 127.0.0.1:port. */
export function isPortHeld(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const finish = (held: boolean) => {
      socket.destroy();
      resolve(held);
    };
    socket.setTimeout(timeoutMs, () => finish(true));
    socket.once('connect', () => finish(true));
    socket.once('error', (err: NodeJS.ErrnoException) => finish(err.code !== 'ECONNREFUSED'));
  });
}
