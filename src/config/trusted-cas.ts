import fs from 'node:fs';
import { createRequire } from 'node:module';
import type TlsModule from 'node:tls';
import { readNamedFile } from './named-file.js';

/**
 * node:tls, loaded on first use: the HTTP client that imports this module is in the single
 * executable's start-up snapshot, which cannot hold node:tls's bindings.
 */
const tlsModule = (): typeof TlsModule => createRequire(import.meta.url)('node:tls') as typeof TlsModule;

/** Where distributions keep the system's CA bundle, for a Node without tls.getCACertificates('system'). */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

function systemCas(): (string | Buffer)[] {
  const fromNode = (tlsModule() as { getCACertificates?: (type: 'system') => string[] }).getCACertificates;
  if (fromNode) return fromNode('system');
  const bundle = SYSTEM_BUNDLES.find((file) => fs.existsSync(file));
  return bundle ? [fs.readFileSync(bundle)] : [];
}

/**
 * The CAs a client trusts once a file adds one: Node's own, the system's store (an operator's
 * company CA installed there), NODE_EXTRA_CA_CERTS (which an explicit list would otherwise drop),
 * and the named files. `files` maps each file to the setting that names it, for its error line.
 */
export function trustedCas(files: { file: string; what: string }[]): (string | Buffer)[] {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  return [
    ...tlsModule().rootCertificates,
    ...systemCas(),
    ...(extra ? [readNamedFile(extra, 'NODE_EXTRA_CA_CERTS')] : []),
    ...files.map(({ file, what }) => readNamedFile(file, what)),
  ];
}
