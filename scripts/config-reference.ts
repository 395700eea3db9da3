/**
 * docs/configuration.md, made from the config schema (src/config/schema.ts) so it cannot drift:
 * every key with its type, default and description (each key's `.describe()`), the DITTO_*
 * variables that override keys (src/config/load.ts `envLeaves`), those that steer ditto itself
 * (src/config/locate.ts `RESERVED_ENV`), and the established ditto's keys (src/config/legacy.ts).
 * `npm run docs:config` (scripts/config-reference.mjs) writes the file; test/unit/config-reference.test.ts
 * fails when a key has no description or the file differs from what this renders.
 */
import { stringify } from 'yaml';
import * as z from 'zod';
import { formatDuration } from '../src/config/duration.js';
import { RENAMED, translateLegacy } from '../src/config/legacy.js';
import { applyEnvOverrides, envLeaves, validate } from '../src/config/load.js';
import { RESERVED_ENV } from '../src/config/locate.js';
import { configSchema } from '../src/config/schema.js';
import { formatBytes } from '../src/support/byte-size.js';

type Schema = z.ZodType;

/** One key of the config, as the reference shows it. */
export interface ConfigKey {
  /** Dotted, with `[]` for a list's elements: `obfuscate.rules[].table`. */
  path: string;
  type: string;
  /** The default as written in ditto.yaml (`1h`, `[]`); null when the key has none. */
  default: string | null;
  /** No default and not optional: a mapping that holds it must give it. */
  required: boolean;
  description: string | undefined;
  /** For a key of some variants of a list element only: the variants (`strategy: replace`). */
  only: string | null;
  /** A mapping whose keys follow it. */
  section: boolean;
}

const def = (s: Schema) => s._zod.def as unknown as Record<string, unknown> & { type: string };
const meta = (s: Schema) => z.globalRegistry.get(s) as { description?: string; kind?: string } | undefined;

interface Unwrapped {
  core: Schema;
  description: string | undefined;
  kind: string | undefined;
  defaultValue: unknown;
  hasDefault: boolean;
  optional: boolean;
}

/** A key's schema without its wrappers (default, optional, a transform's pipe), and what they said. */
function unwrap(schema: Schema): Unwrapped {
  const out: Unwrapped = { core: schema, description: undefined, kind: undefined, defaultValue: undefined, hasDefault: false, optional: false };
  let current = schema;
  for (;;) {
    const m = meta(current);
    out.description ??= m?.description;
    out.kind ??= m?.kind;
    const d = def(current);
    if (d.type === 'default' || d.type === 'prefault') {
      if (!out.hasDefault) out.defaultValue = d.defaultValue;
      out.hasDefault = true;
      current = d.innerType as Schema;
    } else if (d.type === 'optional' || d.type === 'nullable') {
      out.optional = true;
      current = d.innerType as Schema;
    } else if (d.type === 'pipe') {
      current = d.in as Schema;
    } else {
      out.core = current;
      return out;
    }
  }
}

/** The objects a key's value may be (an object, or a union's object members), for walking into. */
function objectsOf(core: Schema): { shape: Record<string, Schema>; variant: string | null }[] {
  const d = def(core);
  if (d.type === 'object') return [{ shape: d.shape as Record<string, Schema>, variant: null }];
  if (d.type !== 'union') return [];
  const discriminator = d.discriminator as string | undefined;
  return (d.options as Schema[]).flatMap((option) => {
    const inner = unwrap(option).core;
    if (def(inner).type !== 'object') return [];
    const shape = def(inner).shape as Record<string, Schema>;
    const tag = discriminator ? literalValues(unwrap(shape[discriminator]!).core)[0] : undefined;
    return [{ shape, variant: discriminator && tag !== undefined ? `${discriminator}: ${String(tag)}` : null }];
  });
}

function literalValues(core: Schema): unknown[] {
  const d = def(core);
  if (d.type === 'literal') return d.values as unknown[];
  if (d.type === 'enum') return Object.values(d.entries as Record<string, unknown>);
  return [];
}

const code = (value: unknown) => `\`${String(value)}\``;

/** How a value of `schema` is written, for people. */
export function typeName(schema: Schema): string {
  const { core, kind } = unwrap(schema);
  if (kind) return kind;
  const d = def(core);
  switch (d.type) {
    case 'string': {
      const s = core as z.ZodString;
      if (s.format === 'url') return 'URL';
      if (s.minLength !== null && s.minLength === s.maxLength) return `string of ${s.minLength} character${s.minLength === 1 ? '' : 's'}`;
      return 'string';
    }
    case 'number': {
      const n = core as z.ZodNumber;
      const integer = n.isInt ? 'integer' : 'number';
      return n.maxValue !== null && n.maxValue < Number.MAX_SAFE_INTEGER ? `${integer} ${n.minValue}-${n.maxValue}` : n.minValue !== null && n.minValue > Number.MIN_SAFE_INTEGER ? `${integer} >= ${n.minValue}` : integer;
    }
    case 'boolean':
      return '`true` or `false`';
    case 'enum':
    case 'literal':
      return literalValues(core).map(code).join(', ');
    case 'array': {
      const element = d.element as Schema;
      return objectsOf(unwrap(element).core).length ? 'list of mappings' : `list of ${typeName(element)}s`;
    }
    case 'record':
      return objectsOf(unwrap(d.valueType as Schema).core).length ? 'mapping of names to mappings' : `mapping of ${typeName(d.keyType as Schema)} to ${typeName(d.valueType as Schema)}`;
    case 'union':
      return (d.options as Schema[]).map(typeName).join(' or ');
    case 'object':
      return 'mapping';
    default:
      throw new Error(`config-reference: no name for a ${d.type} schema`);
  }
}

/** A default as it would be written in ditto.yaml. */
function defaultText(value: unknown, kind: string | undefined): string {
  if (kind === 'duration' && typeof value === 'number') return formatDuration(value);
  if (kind === 'size' && typeof value === 'number') return formatBytes(value).replace(' ', '');
  if (Array.isArray(value)) return value.length === 0 ? '[]' : JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** Every key of `schema` (an object, or a union's objects) under `prefix`, depth first, in schema order. */
function walkKeys(objects: { shape: Record<string, Schema>; variant: string | null }[], prefix: string): ConfigKey[] {
  const keys: ConfigKey[] = [];
  const names = [...new Set(objects.flatMap((o) => Object.keys(o.shape)))];
  for (const name of names) {
    const holders = objects.filter((o) => name in o.shape);
    const schemas = holders.map((o) => o.shape[name]!);
    const first = unwrap(schemas[0]!);
    // One key of several variants: the variants' literals together (a discriminator), else the first's type.
    const literals = schemas.every((s) => def(unwrap(s).core).type === 'literal') && schemas.length > 1;
    const type = literals ? schemas.flatMap((s) => literalValues(unwrap(s).core)).map(code).join(', ') : typeName(schemas[0]!);
    const path = `${prefix}${name}`;
    const only = holders.length < objects.length ? holders.map((o) => `\`${o.variant}\``).join(', ') : null;
    const description = schemas.map((s) => unwrap(s).description).find((text) => text !== undefined);
    const inner = objectsOf(first.core);
    const element = def(first.core).type === 'array' ? objectsOf(unwrap(def(first.core).element as Schema).core) : [];
    // A mapping of names to mappings (`targets: {staging: {url}}`): its values' keys, under `<name>`.
    const named = def(first.core).type === 'record' ? objectsOf(unwrap(def(first.core).valueType as Schema).core) : [];
    const section = (inner.length > 0 && def(first.core).type === 'object') || named.length > 0;
    keys.push({
      path,
      type,
      default: first.hasDefault && !section ? defaultText(first.defaultValue, first.kind) : null,
      required: !first.hasDefault && !first.optional,
      description,
      only,
      section,
    });
    if (inner.length) keys.push(...walkKeys(inner, `${path}.`));
    if (element.length) keys.push(...walkKeys(element, `${path}[].`));
    if (named.length) keys.push(...walkKeys(named, `${path}.<name>.`));
  }
  return keys;
}

/** Every key of the config (or of another object schema, for tests), depth first, in the schema's order. */
export function configKeys(schema: Schema = configSchema as unknown as Schema): ConfigKey[] {
  return walkKeys(objectsOf(schema), '');
}

/** What each variable that steers ditto itself (src/config/locate.ts RESERVED_ENV) does. */
export const RESERVED_ENV_DOCS: Record<string, string> = {
  DITTO_HOME: "The home: state, logs, caches and local copies' data (default `~/.ditto`); the same as `--home`.",
  DITTO_CONFIG: 'The config file, which must exist; the same as `--config`.',
  DITTO_DEBUG: '`1`: an error prints its stack trace after its one line.',
  DITTO_SERVER: "A ditto host's URL: commands go through it; the same as `--remote`.",
  DITTO_TOKEN: 'The bearer token sent to the host.',
  DITTO_OIDC_AUDIENCE: 'In a GitHub Actions job with no `DITTO_TOKEN`: the audience of the ID token the CLI asks the runner for (default: the one the host names at `GET /v2/oidc`).',
  DITTO_COPY_ID: 'Set by `ditto run` and `ditto env`: the copy `reset`, `extend` and `db new|drop` act on when no id is given.',
  DITTO_CA_FILE: "A PEM file of the CA that signed an HTTPS host's certificate, trusted besides the system's store.",
};

/** Variables ditto reads or sets that are neither config keys nor in RESERVED_ENV. */
const OTHER_ENV: [string, string][] = [
  ['DITTO_RUN_ID', "The CI run a copy is made for (default: the CI's own variable, e.g. `GITHUB_RUN_ID`); `ls` shows it, `down --run-id` ends a run's copies."],
  ['DITTO_JOB_NAME', "The CI job a copy is made for (default: the CI's own variable, e.g. `GITHUB_JOB`)."],
  ['DATABASE_URL', "Set by `ditto run` for its command, and exported by `ditto env`: the copy's connection string."],
  ['DITTO_RESEED_ERROR, DITTO_RESEED_CODE, DITTO_RESEED_SOURCE, DITTO_RESEED_HINT', "Set for `dump.on_failure.exec`: the failed reseed's message, error code, source (password masked) and hint."],
];

/** An old config holding every key of the established ditto that is still taken. */
function legacySample(): Record<string, unknown> {
  const sample: Record<string, unknown> = {};
  const values: Record<string, unknown> = { copy_ttl_seconds: 3600, port_pool_start: 5433, port_pool_end: 5600, warm_pool_size: 2 };
  for (const old of Object.keys(RENAMED)) sample[old] = values[old] ?? 1;
  return {
    ...sample,
    dump: { schedule: '0 3 * * *' },
    server: { addr: ':7433', advertise_host: 'ditto.internal', auth: { static_token: 'env:DITTO_CI_TOKEN' } },
    obfuscation: {
      rules: [
        { table: 'customer', column: 'email', strategy: 'replace', with: 'email' },
        { table: 'customer', column: 'notes', strategy: 'redact', with: '[removed]' },
        { table: 'payment', column: 'card_number', strategy: 'mask', mask_char: '#', keep_last: 4, warn_only: true },
      ],
    },
  };
}

/** Markdown: `|` escaped for tables, `<` and `>` outside code spans so `<home>` stays text. */
function cell(text: string): string {
  return text
    .split('`')
    .map((part, i) => (i % 2 === 0 ? part.replace(/</g, '&lt;').replace(/>/g, '&gt;') : part))
    .join('`')
    .replace(/\|/g, '\\|');
}

const SECTION_NOTE: Record<string, string> = {
  'obfuscate.rules': 'Each rule is a mapping: `{ table, column, strategy, ... }`; the keys after `strategy` belong to one strategy each ([docs/obfuscation.md](obfuscation.md)).',
};

function keyTable(keys: ConfigKey[]): string[] {
  const rows = keys.map((k) => {
    const def = k.required ? 'required' : k.default === null ? '' : code(k.default);
    const text = k.description ?? '';
    const described = k.only ? `With ${k.only}: ${text.charAt(0).toLowerCase()}${text.slice(1)}` : text;
    return `| \`${k.path}\` | ${cell(k.type)} | ${def} | ${cell(described)} |`;
  });
  return ['| key | type | default | description |', '| --- | --- | --- | --- |', ...rows];
}

/** Whether `DITTO_<...>=value` gives the key a value the schema takes. */
function settable(name: string, value: string): boolean {
  const raw: Record<string, unknown> = {};
  applyEnvOverrides(raw, { [name]: value });
  try {
    validate(raw, 'environment');
    return true;
  } catch {
    return false;
  }
}

function envSection(keys: ConfigKey[]): string[] {
  const byPath = new Map(keys.map((k) => [k.path, k]));
  const rows: string[] = [];
  const unsettable: string[] = [];
  for (const [name, leaf] of envLeaves()) {
    const key = byPath.get(leaf.path.join('.'))!;
    const kindOf = unwrap(leafSchema(leaf.path)).core;
    const t = def(kindOf).type;
    // Lists, mappings and true/false cannot be written as one string the schema takes.
    const scalar = !['array', 'record', 'object'].includes(t) && (t !== 'boolean' || settable(name, 'true'));
    if (!scalar) {
      unsettable.push(`\`${key.path}\``);
      continue;
    }
    const partly = t === 'union' && objectsOf(kindOf).length ? ' (the text value only)' : '';
    rows.push(`| \`${name}\` | \`${key.path}\`${partly} |`);
  }
  return [
    '## Environment variables',
    '',
    '### Overriding a key',
    '',
    'A `DITTO_<KEY>` or `DITTO_<SECTION>_<KEY>` variable overrides the file (`DITTO_RUNTIME=local`,',
    '`DITTO_POOL_SIZE=0`, `DITTO_HOST_OIDC_AUDIENCE=ditto-team`). The value is checked like the',
    "file's; numbers are converted for numeric keys. A `DITTO_*` variable that names no key is",
    'ignored (shells carry unrelated ones).',
    '',
    '| variable | key |',
    '| --- | --- |',
    ...rows,
    '',
    `These keys cannot be set this way (their value is a list, a mapping or \`true\`/\`false\`, and a variable's text is refused): ${unsettable.join(', ')}.`,
    '',
    '### Variables that steer ditto',
    '',
    'These are never read as config keys.',
    '',
    '| variable | what it does |',
    '| --- | --- |',
    ...[...RESERVED_ENV].map((name) => {
      const text = RESERVED_ENV_DOCS[name];
      if (!text) throw new Error(`config-reference: RESERVED_ENV has ${name}, which RESERVED_ENV_DOCS does not describe`);
      return `| \`${name}\` | ${cell(text)} |`;
    }),
    '',
    '### Other variables',
    '',
    '| variable | what it is |',
    '| --- | --- |',
    ...OTHER_ENV.map(([name, text]) => `| ${name.split(', ').map(code).join(', ')} | ${cell(text)} |`),
  ];
}

function leafSchema(path: string[]): Schema {
  let current = configSchema as unknown as Schema;
  for (const key of path) current = (def(unwrap(current).core).shape as Record<string, Schema>)[key]!;
  return current;
}

function legacySection(): string[] {
  const sample = legacySample();
  const before = stringify(sample).trimEnd();
  const moved = structuredClone(sample);
  const notices = translateLegacy(moved);
  validate(structuredClone(moved), 'config-reference');
  return [
    "## Keys of the established ditto",
    '',
    "The established ditto's (v0.4) `ditto.yaml` still works: each of its keys below is taken and",
    'moved to the key it is now, and every command says so on stderr, one line per key:',
    '',
    '```',
    `ditto.yaml: ${notices[0]}`,
    '```',
    '',
    'A key given both ways keeps the new one. Any other unknown key is an error.',
    '`ditto init --migrate OLD.yaml [NEW.yaml]` writes it in today\'s keys to `NEW.yaml` (default',
    '`./ditto.yaml`; `--force` replaces an existing one).',
    '',
    '| old key | write instead |',
    '| --- | --- |',
    ...notices.map((line) => {
      const match = /^(\S+) is the established ditto's key: write (.+?) \(ditto init --migrate rewrites the file\)$/.exec(line);
      if (!match) throw new Error(`config-reference: a notice of src/config/legacy.ts reads differently now: ${line}`);
      return `| \`${match[1]}\` | ${cell(match[2]!)} |`;
    }),
    '',
    'This old file:',
    '',
    '```yaml',
    before,
    '```',
    '',
    'is read as:',
    '',
    '```yaml',
    stringify(moved).trimEnd(),
    '```',
  ];
}

const INTRO = [
  '# Configuration reference',
  '',
  '<!-- Generated by scripts/config-reference.mjs from src/config/schema.ts: do not edit. Run `npm run docs:config` after changing the schema. -->',
  '',
  '> Generated from the config schema (`src/config/schema.ts`, each key\'s description) by',
  '> `npm run docs:config`. Edit the schema, then run it again: `test/unit/config-reference.test.ts`',
  '> fails when this file and the schema disagree, or when a key has no description.',
  '',
  '`ditto.yaml` is read from `--config`, `$DITTO_CONFIG`, `./ditto.yaml`, `<home>/ditto.yaml` or',
  '`/etc/ditto/ditto.yaml`: the first that exists (`<home>` is `--home`, `$DITTO_HOME` or',
  '`~/.ditto`). Every key is optional. `ditto init` writes a commented starter; `ditto doctor`',
  'checks the result. An unknown key or a wrong type is an error that names the key (exit 78). The',
  'validated config is cached in `<home>/cache/config.json` until the file, a `DITTO_*` variable',
  'or ditto itself changes.',
  '',
  'Kinds of values:',
  '',
  '- **duration**: `90s`, `15m`, `2h`, `1d`, `1h30m`, or plain seconds.',
  '- **size**: bytes, or `500MB`, `20GiB` (kB, MB, GB, TB count in 1000s; KiB, MiB, GiB, TiB in 1024s).',
  '- **secret**: the value itself, or a reference read when it is used: `env:NAME` (the variable),',
  "  `file:PATH` (the file's first line). A rotated secret is picked up without editing the file.",
  '- A relative `dump.path` or `prepare.dir` is relative to the directory of `ditto.yaml`.',
  '',
  'The guides show the keys at work: [getting started](getting-started.md),',
  '[local development](local-development.md), [operating a host](operating-a-host.md),',
  '[obfuscation](obfuscation.md), [speed tiers](speed-tiers.md), [CI](ci.md).',
];

/** The whole of docs/configuration.md. */
export function renderReference(): string {
  const keys = configKeys();
  const top = keys.filter((k) => !k.path.includes('.') && !k.section);
  const sections = keys.filter((k) => !k.path.includes('.') && k.section);
  const lines = [...INTRO, '', '## Contents', '', '- [Top-level keys](#top-level-keys)'];
  for (const s of sections) lines.push(`- [\`${s.path}\`](#${s.path})`);
  lines.push('- [Environment variables](#environment-variables)', "- [Keys of the established ditto](#keys-of-the-established-ditto)", '');
  lines.push('## Top-level keys', '', ...keyTable(top), '');
  for (const s of sections) {
    const inside = keys.filter((k) => k.path.startsWith(`${s.path}.`));
    lines.push(`## \`${s.path}\``, '', cell(s.description ?? ''), '');
    for (const [path, note] of Object.entries(SECTION_NOTE)) if (inside.some((k) => k.path === path)) lines.push(note, '');
    lines.push(...keyTable(inside), '');
  }
  lines.push(...envSection(keys), '', ...legacySection(), '');
  return lines.join('\n');
}
