import fs from 'node:fs';
import { DittoError } from '../errors.js';

/**
 * The value behind a config value that may be a secret reference: `env:NAME` reads the variable,
 * `file:PATH` the file's first line; anything else is the value itself. Resolved at the moment of
 * use, so a rotated secret is picked up without editing ditto.yaml.
 */
export function resolveSecret(value: string, key: string): string {
  if (value.startsWith('env:')) {
    const name = value.slice(4);
    const found = process.env[name];
    if (!found) throw new DittoError('CONFIG', `${key} refers to environment variable ${name}, which is not set`, { hint: `export ${name}, or change ${key} in ditto.yaml` });
    return found;
  }
  if (value.startsWith('file:')) {
    const file = value.slice(5);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new DittoError('CONFIG', `${key} refers to file ${file}, which cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const line = text.split(/\r?\n/)[0]!.trim();
    if (!line) throw new DittoError('CONFIG', `${key} refers to file ${file}, which is empty`);
    return line;
  }
  return value;
}

/** A URL fit for messages: any password (in the user part or a `password` parameter) shown as `***`. */
export function maskUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not a URL: a `key=value` string or a typo; show only that it is there.
    return raw.replace(/(password\s*=\s*)('[^']*'|\S+)/gi, '$1***');
  }
  if (url.password) url.password = '***';
  for (const key of [...url.searchParams.keys()]) {
    if (/^(password|sig|signature|token|x-amz-signature|x-amz-credential|x-amz-security-token)$/i.test(key)) url.searchParams.set(key, '***');
  }
  return url.toString();
}
