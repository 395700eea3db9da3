import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DittoError } from '../errors.js';
import type { Config } from './schema.js';

/**
 * Where the config and the home are, without reading the config: cheap, and free of the YAML
 * parser and the schema library, so it can sit on every command's start-up path.
 */

/** Variables that steer ditto itself rather than a config key. */
const RESERVED_ENV = new Set(['DITTO_HOME', 'DITTO_CONFIG', 'DITTO_DEBUG', 'DITTO_SERVER', 'DITTO_TOKEN', 'DITTO_OIDC_AUDIENCE', 'DITTO_COPY_ID', 'DITTO_CA_FILE']);

export interface LoadedConfig {
  config: Config;
  /** The file the config came from, or null when only defaults and environment apply. */
  file: string | null;
  home: string;
  /** One line per key of the established ditto's config the file used (./legacy.ts), to show the user. */
  notices?: string[];
}

export interface LoadOptions {
  /** `--config`: an explicit file, which must exist. */
  configPath?: string | undefined;
  /** `--home`; falls back to DITTO_HOME, then ~/.ditto. */
  home?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function resolveHome(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env.DITTO_HOME;
  return path.resolve(chosen && chosen.length > 0 ? chosen : path.join(os.homedir(), '.ditto'));
}

/** The config file in force: `--config`, DITTO_CONFIG, ./ditto.yaml, <home>/ditto.yaml, /etc/ditto/ditto.yaml. */
export function findConfigFile(opts: LoadOptions, home: string): string | null {
  const env = opts.env ?? process.env;
  const explicit = opts.configPath ?? env.DITTO_CONFIG;
  if (explicit) {
    const file = path.resolve(opts.cwd ?? process.cwd(), explicit);
    if (!fs.existsSync(file)) {
      throw new DittoError('CONFIG', `config file ${file} does not exist`, { hint: 'check --config or DITTO_CONFIG' });
    }
    return file;
  }
  const candidates = [
    path.join(opts.cwd ?? process.cwd(), 'ditto.yaml'),
    path.join(home, 'ditto.yaml'),
    '/etc/ditto/ditto.yaml',
  ];
  return candidates.find((file) => fs.existsSync(file)) ?? null;
}

/** The DITTO_* variables that may set config keys (all but those that steer ditto itself), by name. */
export function configVariables(env: NodeJS.ProcessEnv): [string, string][] {
  return Object.entries(env)
    .filter((entry): entry is [string, string] => entry[0].startsWith('DITTO_') && !RESERVED_ENV.has(entry[0]) && entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
