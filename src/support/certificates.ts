import { isIP } from 'node:net';
import crypto from 'node:crypto';

/** A certificate and its private key, as PEM text. */
export interface KeyPair {
  cert: string;
  key: string;
}

// A getter on the module: taken from its default export (the executable's bundle links only plain exports by name).
const webcrypto = crypto.webcrypto;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** Server certificates are made again well before this; a CA lives as long as the home. */
export const SERVER_CERT_DAYS = 398;
const CA_DAYS = 3650;

/** The X.509 library, loaded when a certificate is made (rarely: once per home, then per set of names). */
async function x509Module() {
  // tsyringe, under @peculiar/x509, needs the Reflect metadata API before it loads.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  return x509;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '7');
}

async function exportKey(x509: Awaited<ReturnType<typeof x509Module>>, key: crypto.webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** A new certificate authority (ECDSA P-256, ten years) named `name`. */
export async function makeCa(name: string): Promise<KeyPair> {
  const x509 = await x509Module();
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + CA_DAYS * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(x509, keys.privateKey) };
}

/**
 * A server certificate signed by `ca` for `names` (host names and IP addresses, all in its
 * subject alternative names, the first also its common name). Its PEM carries the CA's
 * certificate after its own, so a client that holds the CA can check the chain.
 */
export async function issueServerCert(ca: KeyPair, names: readonly string[]): Promise<KeyPair> {
  const x509 = await x509Module();
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(ca.key), ALGORITHM, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${names[0] ?? 'localhost'}`,
    issuer: caCert.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + SERVER_CERT_DAYS * DAY_MS),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: isIP(value) ? ('ip' as const) : ('dns' as const), value }))),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: `${cert.toString('pem')}\n${ca.cert}\n`, key: await exportKey(x509, keys.privateKey) };
}

/** When a PEM certificate stops being valid, or null when it cannot be read. */
export async function expiresAt(pem: string): Promise<Date | null> {
  try {
    const x509 = await x509Module();
    return new x509.X509Certificate(pem).notAfter;
  } catch {
    return null;
  }
}
