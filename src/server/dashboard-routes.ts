import { sessionWire } from '../api/session.js';
import { DittoError } from '../errors.js';
import { DASHBOARD_HEADERS, dashboardAssets } from './dashboard-assets.js';
import { callerOf, type Handlers } from './routes.js';
import { clearedSessionCookie, sessionCookie } from './session.js';

type DashboardName = 'dashboard' | 'dashboard_asset' | 'sign_in' | 'session' | 'sign_out' | 'copy_connection' | 'reseed';

const ADMINS_ONLY = { hint: 'use an admin token (host.admin_tokens)' };
const NO_STORE = { 'cache-control': 'no-store' };

/** One of the dashboard's built files, with its headers; NOT_FOUND when the build carries none or not that one. */
function asset(file: string) {
  const assets = dashboardAssets();
  if (!assets) throw new DittoError('NOT_FOUND', 'this build of ditto carries no dashboard', { hint: 'build with `npm run build`, which builds dashboard/ with Vite' });
  const found = assets.get(file);
  if (!found) throw new DittoError('NOT_FOUND', 'no such file of the dashboard');
  // Asset names carry a hash of their contents: kept for good; the page is asked again each time.
  const cache = file.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  return { body: found.body, contentType: found.contentType, headers: { ...DASHBOARD_HEADERS, 'cache-control': cache } };
}

/**
 * The dashboard (DESIGN 16): its static files at / and /assets/, the sign-in that keeps a token in
 * the session cookie (session.ts), and what it asks of /v2 beyond the CLI's routes.
 */
export const DASHBOARD_HANDLERS: Pick<Handlers, DashboardName> = {
  async dashboard() {
    const page = asset('/index.html');
    return { status: 200, text: { contentType: 'text/html; charset=utf-8', body: page.body }, headers: page.headers };
  },
  async dashboard_asset(_host, req) {
    const file = asset(`/assets/${req.params[0]!}`);
    return { status: 200, text: { contentType: file.contentType as 'text/css; charset=utf-8', body: file.body }, headers: file.headers };
  },
  async sign_in(host, req) {
    if (!req.secureTransport) {
      throw new DittoError('BAD_INPUT', 'the dashboard signs in over HTTPS only (or on a loopback address): a browser would drop the session cookie', {
        hint: 'serve the host over HTTPS (host.tls), or reach it through a loopback address (an SSH tunnel)',
      });
    }
    if (!host.authenticate) throw new DittoError('INTERNAL', 'the host checks no tokens');
    const caller = await host.authenticate(req.body.token);
    return { status: 200, body: sessionWire(caller), headers: { 'set-cookie': sessionCookie(req.body.token), ...NO_STORE } };
  },
  // The dashboard asks on load whether it is signed in: without a cookie the answer is "nobody", not an error.
  async session(_host, req) {
    return { status: 200, body: sessionWire(req.caller), headers: NO_STORE };
  },
  async sign_out() {
    return { status: 204, headers: { 'set-cookie': clearedSessionCookie() } };
  },
  async copy_connection(host, req) {
    if (!host.connectionString) throw new DittoError('NOT_FOUND', 'this host hands out no connection strings here');
    const dsn = await host.connectionString(callerOf(req), req.params[0]!);
    return { status: 200, body: { connection_string: dsn }, headers: NO_STORE };
  },
  async reseed(host, req) {
    if (!callerOf(req).admin) throw new DittoError('FORBIDDEN', 'reseeding is for admins', ADMINS_ONLY);
    if (!host.reseed) throw new DittoError('NOT_FOUND', 'this host does not reseed');
    // It takes minutes: started here, its progress in GET /v2/status (reseed.running, reseed.last).
    host.reseed.start();
    return { status: 202, body: { started: true } };
  },
};
