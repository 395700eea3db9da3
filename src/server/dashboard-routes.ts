import { parseSignIn, sessionWire } from '../api/session.js';
import { DittoError } from '../errors.js';
import { DASHBOARD_HEADERS, dashboardAssets } from './dashboard-assets.js';
import { callerOf, type Route } from './routes.js';
import { clearedSessionCookie, sessionCookie } from './session.js';

const ID = '([^/]+)';

const ADMINS_ONLY = { hint: 'use an admin token (host.admin_tokens)' };

/**
 * The dashboard (DESIGN 16): its static files at / and /assets/, the sign-in that keeps a token in
 * the session cookie (session.ts), and what it asks of /v2 beyond the CLI's routes.
 */
export const DASHBOARD_ROUTES: Route[] = [
  {
    method: 'GET',
    path: /^\/((?:assets\/[A-Za-z0-9._-]+|index\.html)?)$/,
    name: 'dashboard',
    public: true,
    async handle(_host, req) {
      const file = `/${req.params[0] || 'index.html'}`;
      const assets = dashboardAssets();
      const asset = assets?.get(file);
      if (!assets) throw new DittoError('NOT_FOUND', 'this build of ditto carries no dashboard', { hint: 'build with `npm run build`, which builds dashboard/ with Vite' });
      if (!asset) throw new DittoError('NOT_FOUND', 'no such file of the dashboard');
      // Asset names carry a hash of their contents: kept for good; the page is asked again each time.
      const cache = file.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      return { status: 200, text: asset, headers: { ...DASHBOARD_HEADERS, 'cache-control': cache } };
    },
  },
  {
    method: 'POST',
    path: /^\/v2\/session$/,
    name: 'sign_in',
    public: true,
    session: true,
    readsBody: true,
    async handle(host, req) {
      const token = parseSignIn(req.body);
      if (!req.secureTransport) {
        throw new DittoError('BAD_INPUT', 'the dashboard signs in over HTTPS only (or on a loopback address): a browser would drop the session cookie', {
          hint: 'serve the host over HTTPS (host.tls), or reach it through a loopback address (an SSH tunnel)',
        });
      }
      if (!host.authenticate) throw new DittoError('INTERNAL', 'the host checks no tokens');
      const caller = await host.authenticate(token);
      return { status: 200, body: sessionWire(caller), headers: { 'set-cookie': sessionCookie(token), 'cache-control': 'no-store' } };
    },
  },
  {
    method: 'GET',
    path: /^\/v2\/session$/,
    name: 'session',
    // The dashboard asks on load whether it is signed in: without a cookie the answer is "nobody", not an error.
    anonymous: true,
    async handle(_host, req) {
      return { status: 200, body: sessionWire(req.caller), headers: { 'cache-control': 'no-store' } };
    },
  },
  {
    method: 'DELETE',
    path: /^\/v2\/session$/,
    name: 'sign_out',
    public: true,
    session: true,
    async handle() {
      return { status: 204, headers: { 'set-cookie': clearedSessionCookie() } };
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^/v2/copies/${ID}/connection$`),
    name: 'copy_connection',
    async handle(host, req) {
      if (!host.connectionString) throw new DittoError('NOT_FOUND', 'this host hands out no connection strings here');
      const dsn = await host.connectionString(callerOf(req), req.params[0]!);
      return { status: 200, body: { connection_string: dsn }, headers: { 'cache-control': 'no-store' } };
    },
  },
  {
    method: 'POST',
    path: /^\/v2\/reseed$/,
    name: 'reseed',
    async handle(host, req) {
      if (!callerOf(req).admin) throw new DittoError('FORBIDDEN', 'reseeding is for admins', ADMINS_ONLY);
      if (!host.reseed) throw new DittoError('NOT_FOUND', 'this host does not reseed');
      // It takes minutes: started here, its progress in GET /v2/status (reseed.running, reseed.last).
      host.reseed.start();
      return { status: 202, body: { started: true } };
    },
  },
];
