import fs from 'node:fs';
import path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import * as z from 'zod';
import { DittoError } from '../errors.js';
import { translateLegacy } from './legacy.js';
import { configVariables, findConfigFile, resolveHome, type LoadedConfig, type LoadOptions } from './locate.js';
import { configSchema, type Config } from './schema.js';

export type { LoadedConfig, LoadOptions };

/**
 * Reading and validating the config: YAML, DITTO_* overrides, the schema. The CLI reaches this
 * through loadConfigCached (./cached-load.ts), which skips it while nothing changed.
 */

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const home = resolveHome(opts.home, env);
  const file = findConfigFile(opts, home);
  return { ...configFrom(file, env), file, home };
}

/**
 * The config `file` (null: none) and the environment make, validated; the established ditto's
 * keys are taken, each with a notice naming the new one.
 */
export function configFrom(file: string | null, env: NodeJS.ProcessEnv): { config: Config; notices: string[] } {
  const raw = file ? readYaml(file) : {};
  const notices = translateLegacy(raw).map((line) => `${file ? path.basename(file) : 'config'}: ${line}`);
  applyEnvOverrides(raw, env);
  const config = validate(raw, file ?? 'environment');
  if (file && config.dump.path) config.dump.path = path.resolve(path.dirname(file), config.dump.path);
  if (config.prepare) config.prepare.dir = path.resolve(file ? path.dirname(file) : process.cwd(), config.prepare.dir ?? '.');
  return { config, notices };
}

/**
 * `ditto init --migrate`: the established ditto's config at `file` in this ditto's keys, as YAML,
 * checked to be valid; and the notices of what moved.
 */
export function migratedConfig(file: string): { text: string; notices: string[] } {
  const raw = readYaml(file);
  const notices = translateLegacy(raw);
  validate(structuredClone(raw), file);
  return { text: `# Translated by ditto init --migrate from ${file}\n${stringify(raw)}`, notices };
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new DittoError('CONFIG', `cannot read config ${file}: ${(err as Error).message}`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new DittoError('CONFIG', `${file}: invalid YAML: ${first.message.split('\n')[0]}`);
  }
  const value: unknown = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new DittoError('CONFIG', `${file}: expected a mapping of keys at the top level`);
  }
  return value as Record<string, unknown>;
}

/** Validates a raw config object, naming the first offending key and what was expected. */
export function validate(raw: unknown, source: string): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.join('.');
  let message: string;
  if (issue.code === 'unrecognized_keys') {
    const key = [...issue.path, issue.keys[0]].join('.');
    message = `unknown key '${key}'`;
  } else {
    message = `${where || 'config'}: ${describeIssue(issue)}`;
  }
  throw new DittoError('CONFIG', `${source}: ${message}`, { hint: 'see `ditto init` for a commented example' });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return `expected at least ${String(issue.minimum)}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

/**
 * DITTO_<KEY> and DITTO_<SECTION>_<KEY> override the file: DITTO_RUNTIME=local, DITTO_POOL_SIZE=0,
 * DITTO_DUMP_PATH=/x.dump. Numbers are converted for numeric keys; an unknown DITTO_* variable is
 * ignored, since shells carry unrelated ones (DITTO_COPY_ID, for one).
 */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const leaves = envLeaves();
  for (const [name, value] of configVariables(env)) {
    const leaf = leaves.get(name);
    if (!leaf) continue;
    let target = raw;
    for (const key of leaf.path.slice(0, -1)) {
      const next = target[key];
      if (typeof next !== 'object' || next === null) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    const converted = leaf.numeric && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    target[leaf.path.at(-1)!] = converted;
  }
}

interface EnvLeaf {
  path: string[];
  numeric: boolean;
}

let leavesCache: Map<string, EnvLeaf> | undefined;

function envLeaves(): Map<string, EnvLeaf> {
  if (leavesCache) return leavesCache;
  leavesCache = new Map();
  const walk = (schema: z.ZodType, at: string[]): void => {
    const inner = unwrap(schema);
    if (inner instanceof z.ZodObject) {
      for (const [key, child] of Object.entries(inner.shape as Record<string, z.ZodType>)) walk(child, [...at, key]);
      return;
    }
    const name = `DITTO_${at.join('_').toUpperCase()}`;
    leavesCache!.set(name, { path: at, numeric: inner instanceof z.ZodNumber });
  };
  walk(configSchema, []);
  return leavesCache;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  while (current instanceof z.ZodDefault || current instanceof z.ZodOptional) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}
