/**
 * An absolute path on this machine's disk, as it stands in a message: after the start, a space, a
 * quote, a bracket, `=`, `,` or `:` (psql's `psql:/path:1:`), but not `//` (a URL's authority; its
 * path follows a host name and is kept), and not one of the host's own routes (/v2/..., /healthz,
 * /metrics), which name no file.
 */
const DISK_PATH = /(?<=^|[\s'"`(\[=,:])\/(?!\/|v2(?:\/|\b)|healthz\b|metrics\b)[^\s'"`()\[\],;:]+/g;

/** What a remote caller is shown in place of a path on the host's disk. */
export const HIDDEN_PATH = '<host path>';

/** `text` with every absolute path replaced: errors and events a host sends name none of its files (its log keeps them). */
export function withoutDiskPaths(text: string): string {
  return text.replace(DISK_PATH, HIDDEN_PATH);
}
