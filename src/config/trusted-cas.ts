import fs from 'node:fs';
import tls from 'node:tls';
import { readNamedFile } from './named-file.js';

/** Where distributions keep the system's CA bundle, for a Node without tls.getCACertificates('system'). */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

function systemCas(): (string | Buffer)[] {
  const fromNode = (tls as { getCACertificates?: (type: 'system') => string[] }).getCACertificates;
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
    ...tls.rootCertificates,
    ...systemCas(),
    ...(extra ? [readNamedFile(extra, 'NODE_EXTRA_CA_CERTS')] : []),
    ...files.map(({ file, what }) => readNamedFile(file, what)),
  ];
}
