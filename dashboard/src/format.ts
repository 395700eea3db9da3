// The CLI's own renderings, so the page reads as `ditto ls` and `ditto status` do.
export { formatDuration as duration } from '../../src/config/duration.js';
import { formatBytes } from '../../src/support/byte-size.js';

export function bytes(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : formatBytes(n);
}

/** Seconds since an ISO time. */
export function since(iso: string | null, now: number): number | null {
  return iso === null ? null : (now - Date.parse(iso)) / 1000;
}

/** An owner without its source's prefix where it is a static token's (`token:alice` is alice). */
export function ownerName(owner: string | null): string {
  if (owner === null) return '–';
  return owner.startsWith('token:') ? owner.slice('token:'.length) : owner;
}
