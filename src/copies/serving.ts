import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readNamedFile } from '../config/named-file.js';
import type { Config } from '../config/schema.js';
import { DittoError } from '../errors.js';
import { isWildcard, type Serving } from '../model/endpoint.js';
import { expiresAt, issueServerCert, makeCa, type KeyPair } from '../support/certificates.js';
import { writeFileAtomically } from '../support/files.js';
import { ensurePrivateDir } from '../support/private-dir.js';

/** Where `copy_tls: auto` keeps its CA and the certificates it signed, in the home. */
const TLS_DIR = 'tls';
/** The CA's certificate and key, in one file: they are made, and replaced, together. */
const CA_FILE = 'ca.key.pem';
/** A certificate this close to its end is made again. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

export interface ServingOptions {
  config: Config;
  home: string;
  /** The host's listen address when its command overrides host.listen. */
  listen?: string | undefined;
  /** The host name connection strings carry (a host's advertise_host): the certificate names it. */
  advertiseHost?: string | null | undefined;
}

/**
 * How the copies of this home are served: on host.copy_listen (default: the host's listen
 * address, 127.0.0.1 unless set), with host.copy_tls's certificate when it is set. The same for
 * every process of a home, so a warm copy made by one suits another.
 */
export async function loadServing(opts: ServingOptions): Promise<Serving> {
  const { host } = opts.config;
  const listen = host.copy_listen ?? opts.listen ?? host.listen;
  if (!host.copy_tls) return { listen, tls: null };
  if (host.copy_tls === 'auto') {
    const names = certificateNames(listen, opts.advertiseHost ?? host.advertise_host ?? null);
    return { listen, tls: { mode: 'require', ...(await autoCertificate(opts.home, names)) } };
  }
  const cert = readNamedFile(host.copy_tls.cert, 'host.copy_tls.cert').toString('utf8');
  const key = readNamedFile(host.copy_tls.key, 'host.copy_tls.key').toString('utf8');
  return { listen, tls: { mode: 'verify-full', cert, key } };
}

/** A short fingerprint of how copies are served: warm copies served otherwise are not handed out. */
export function servingKey(serving: Serving): string {
  const tls = serving.tls ? crypto.createHash('sha256').update(serving.tls.cert).digest('hex').slice(0, 12) : 'plain';
  return `${serving.listen}|${tls}`;
}

/** The certificate of the CA `copy_tls: auto` signs with (served at GET /v2/ca.pem), made now if it is not yet. */
export async function autoCaCertificate(home: string): Promise<string> {
  return (await ensureCa(path.join(home, TLS_DIR))).cert;
}

/** The names a copy's certificate carries: the host clients reach, the listen address, and this machine's own names. */
function certificateNames(listen: string, advertiseHost: string | null): string[] {
  const names = [advertiseHost, isWildcard(listen) ? null : listen, os.hostname(), 'localhost', '127.0.0.1', '::1'];
  return [...new Set(names.filter((n): n is string => Boolean(n)))];
}

/** A server certificate for `names`, signed by the home's CA: kept in the home and reused until it nears its end. */
async function autoCertificate(home: string, names: string[]): Promise<KeyPair> {
  const dir = path.join(home, TLS_DIR);
  const ca = await ensureCa(dir);
  const id = crypto.createHash('sha256').update(`${names.join(',')}\n${ca.cert}`).digest('hex').slice(0, 16);
  const file = path.join(dir, `copies-${id}.pem`);
  const kept = readPair(file);
  if (kept && ((await expiresAt(kept.cert))?.getTime() ?? 0) - Date.now() > RENEW_BEFORE_MS) return kept;
  const made = await issueServerCert(ca, names);
  writeFileAtomically(file, `${made.key}\n${made.cert}`);
  return made;
}

/** The home's CA; the first process to need one makes it, and any other racing it takes the winner's. */
async function ensureCa(dir: string): Promise<KeyPair> {
  const file = path.join(dir, CA_FILE);
  const kept = readPair(file);
  if (kept) return kept;
  ensurePrivateDir(dir);
  const made = await makeCa(`ditto copies CA (${os.hostname()})`);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${made.key}\n${made.cert}`, { mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const stored = readPair(file);
  if (!stored) throw new DittoError('STATE', `${file} holds no certificate and key`, { hint: 'remove it: ditto makes a new CA (copies then need the new ca.pem)' });
  return stored;
}

/** A private key and the certificates after it, from one PEM file; null when there is no such file. */
function readPair(file: string): KeyPair | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n?/.exec(text)?.[0];
  const cert = text.slice(text.indexOf('-----BEGIN CERTIFICATE-----'));
  if (!key || !cert.startsWith('-----BEGIN CERTIFICATE-----')) return null;
  return { key, cert };
}
