import { autoCaCertificate } from '../copies/serving.js';
import { DittoError } from '../errors.js';
import type { Route } from './routes.js';

/** The routes any client may call without a token: what it needs before it holds one, and the host's health. */
export const PUBLIC_ROUTES: Route[] = [
  {
    method: 'GET',
    path: /^\/v2\/ca\.pem$/,
    name: 'ca_certificate',
    // Public: a client needs it before it holds anything, and it is a certificate, no secret.
    public: true,
    async handle(host) {
      if (host.config.host.copy_tls !== 'auto') {
        throw new DittoError('NOT_FOUND', 'this host has no CA of its own', { hint: "copies use the operator's certificate (or no TLS): ask the operator which CA signs it" });
      }
      return { status: 200, text: { contentType: 'application/x-pem-file', body: await autoCaCertificate(host.home) } };
    },
  },
  {
    method: 'GET',
    path: /^\/v2\/oidc$/,
    name: 'oidc',
    public: true,
    // What a CLI needs to ask its OIDC provider for a token this host takes (the audience above all).
    async handle(host) {
      const oidc = host.config.host.oidc;
      if (!oidc) throw new DittoError('NOT_FOUND', 'this host takes no OIDC tokens', { hint: 'use a token from the host operator (DITTO_TOKEN)' });
      return { status: 200, body: { issuer: oidc.issuer, audience: oidc.audience } };
    },
  },
  {
    method: 'GET',
    path: /^\/healthz$/,
    name: 'healthz',
    public: true,
    async handle() {
      return { status: 200, body: { status: 'ok' } };
    },
  },
  {
    method: 'GET',
    path: /^\/metrics$/,
    name: 'metrics',
    public: true,
    async handle(host) {
      return { status: 200, text: { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: host.metrics.render(await host.families()) } };
    },
  },
];
