/**
 * The dashboard's built files (dashboard/, built with Vite by scripts/build.mjs), carried inside the
 * bundle itself: esbuild defines __DITTO_DASHBOARD__ as their JSON, so `dist/ditto.cjs` and the
 * single executable serve them with nothing beside them. Run from source (unit tests), there are none.
 */
declare const __DITTO_DASHBOARD__: string | undefined;

export interface Asset {
  contentType: string;
  body: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

let loaded: Map<string, Asset> | null | undefined;

/** The dashboard's files by URL path (`/index.html`, `/assets/...`); null in a build without them. */
export function dashboardAssets(): Map<string, Asset> | null {
  if (loaded === undefined) {
    const files = typeof __DITTO_DASHBOARD__ === 'string' ? (JSON.parse(__DITTO_DASHBOARD__) as Record<string, string>) : null;
    loaded = files && new Map(Object.entries(files).map(([file, body]) => [file, { contentType: TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream', body }]));
  }
  return loaded;
}

/**
 * What a browser may do on the dashboard's pages: its own scripts, styles and API only. No inline
 * script or style, nothing from another origin, no framing, no form posting elsewhere.
 */
export const DASHBOARD_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
