import { openApiDocument } from '../api/openapi.js';
import { autoCaCertificate } from '../copies/serving.js';
import { DittoError } from '../errors.js';
import type { Handlers } from './routes.js';

type PublicName = 'openapi' | 'ca_certificate' | 'oidc' | 'healthz' | 'metrics';

/** The routes any client may call without a token: what it needs before it holds one, the contract, and the host's health. */
export const PUBLIC_HANDLERS: Pick<Handlers, PublicName> = {
  async openapi() {
    // Public: the contract is the same for every caller and names nothing of the host's.
    return { status: 200, body: openApiDocument() };
  },
  async ca_certificate(host) {
    // Public: a client needs it before it holds anything, and it is a certificate, no secret.
    if (host.config.host.copy_tls !== 'auto') {
      throw new DittoError('NOT_FOUND', 'this host has no CA of its own', { hint: "copies use the operator's certificate (or no TLS): ask the operator which CA signs it" });
    }
    return { status: 200, text: { contentType: 'application/x-pem-file', body: await autoCaCertificate(host.home) } };
  },
  // What a CLI needs to ask its OIDC provider for a token this host takes (the audience above all).
  async oidc(host) {
    const oidc = host.config.host.oidc;
    if (!oidc) throw new DittoError('NOT_FOUND', 'this host takes no OIDC tokens', { hint: 'use a token from the host operator (DITTO_TOKEN)' });
    return { status: 200, body: { issuer: oidc.issuer, audience: oidc.audience } };
  },
  async healthz() {
    return { status: 200, body: { status: 'ok' } };
  },
  async metrics(host) {
    return { status: 200, text: { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: host.metrics.render(await host.families()) } };
  },
};
