import * as z from 'zod';
import { ENGINE_NAMES } from '../model/copy.js';
import { byteSize, duration } from './values.js';
import { mcp } from './mcp-schema.js';
import { isPrintable } from '../support/printable.js';
import { columnPolicy, keepPatterns } from './masking-schema.js';
import { subsetSchema } from './subset-schema.js';
import { webhookKeys } from './webhooks.js';

/*
 * Every key carries its description (`.describe()`): docs/configuration.md is generated from them
 * (`npm run docs:config`, scripts/config-reference.ts), and a test fails on a key without one. The
 * building blocks below carry a `kind` (meta) the reference names their values by.
 */

const port = z.number().int().min(1).max(65535);

/**
 * A value that may be a secret reference instead of the secret itself: `env:NAME` reads the
 * variable, `file:PATH` the file's first line, at the moment it is used (src/config/secrets.ts).
 */
const secret = z.string().min(1).meta({ kind: 'secret' });

const s3 = z
  .strictObject({
    endpoint: z.string().url().optional().describe("An S3-compatible server's URL (e.g. http://127.0.0.1:9000); default: AWS for the region."),
    region: z.string().min(1).optional().describe("The bucket's region (default: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1)."),
    force_path_style: z.boolean().default(true).describe('Path-style addressing (http://host/bucket/key), which most S3-compatible servers need.'),
    access_key_id: secret.optional().describe("The access key's id; without it and secret_access_key, the SDK's usual chain (AWS_* variables, ~/.aws) applies."),
    secret_access_key: secret.optional().describe('The secret access key that goes with access_key_id.'),
  })
  .default({ force_path_style: true })
  .describe('Where `s3://` dumps are fetched from: AWS by default, or an S3-compatible server.');

const ports = z
  .strictObject({
    min: port.default(5433).describe('The first port of the range.'),
    max: port.default(5600).describe('The last port of the range (not below min).'),
  })
  .refine((range) => range.min <= range.max, { message: 'min must not be above max' })
  .default({ min: 5433, max: 5600 })
  .describe('The ports copies listen on; a port another program holds is skipped.');

const dump = z
  .strictObject({
    path: z.string().min(1).optional().describe('The dump every copy starts from: custom format (pg_dump -Fc) or plain SQL (MySQL: plain SQL, .gz too), relative to ditto.yaml. Unset: the one `ditto reseed` made under the home, else copies are empty databases.'),
    stale_threshold: duration.default(7 * 86400).describe('`up` warns, and `status` and `doctor` flag the dump, when it is older than this.'),
    exclude_table_data: z.array(z.string().min(1)).default([]).describe('Tables whose schema `ditto reseed` keeps and whose rows it leaves out (audit logs, sessions): `table` or `schema.table`.'),
    golden: z.boolean().default(true).describe('Restore each dump once into a golden snapshot and clone copies from it (false: restore into every copy).'),
    max_download_bytes: byteSize.default(20 * 2 ** 30).describe('A `--dump` download larger than this is refused.'),
    cache_max_bytes: byteSize.default(50 * 2 ** 30).describe('Downloaded dumps are kept in <home>/cache/dumps up to this total; the least recently used go first.'),
    ca_file: z.string().min(1).optional().describe("Extra CA certificates (PEM) trusted for https:// dumps, besides the system's and NODE_EXTRA_CA_CERTS."),
    on_failure: z
      .strictObject({
        webhook_url: secret.optional().describe('Receives {event, error, code, hint, source, home, at} as JSON (a secret reference is allowed).'),
        exec: z.string().min(1).optional().describe('Run by the shell with DITTO_RESEED_ERROR, DITTO_RESEED_CODE, DITTO_RESEED_SOURCE set.'),
      })
      .optional()
      .describe('What a failed reseed (scheduled or by hand) sets off: a JSON POST, and/or a shell command; both get the error, never a secret.'),
    subset: subsetSchema,
    s3,
  })
  .default({ exclude_table_data: [], stale_threshold: 7 * 86400, golden: true, max_download_bytes: 20 * 2 ** 30, cache_max_bytes: 50 * 2 ** 30, s3: { force_path_style: true } })
  .describe('The dump copies start from, and how downloaded dumps are fetched and kept.');

const prepare = z
  .strictObject({
    command: z.string().min(1).describe('The shell command (/bin/sh -c), run with DATABASE_URL naming the builder; a failure leaves no snapshot and no copy.'),
    inputs: z.array(z.string().min(1)).default([]).describe('Globs of the files the command reads (migrations), relative to ditto.yaml.'),
    dir: z.string().min(1).optional().describe('Where the command runs and the globs start (default: the directory of ditto.yaml).'),
    timeout: duration.default(600).describe('The longest the command may run.'),
  })
  .optional()
  .describe(
    'Migrations baked into golden snapshots: `command` runs once against a builder restored from the dump, and the snapshot\'s key carries the command and the content of the files `inputs` match, so an edited migration makes a new snapshot on the next `up`.',
  );

const source = z
  .strictObject({
    url: secret.optional().describe('postgresql:// (or mysql://, mariadb://) URL, or a secret reference (env:NAME, file:PATH) to one.'),
  })
  .default({})
  .describe('The database `ditto reseed` dumps.');

/**
 * Long-lived databases ditto does not own (staging), by name: `ditto target refresh NAME` replaces
 * one's contents with the current dump, scrubbed when obfuscation rules exist.
 */
const targets = z
  .record(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a target name is letters, digits, _ . -'),
    z.strictObject({ url: secret.describe("The target database's URL, or a secret reference (env:NAME, file:PATH) to one.") }),
  )
  .default({})
  .describe("Long-lived databases ditto does not own (staging), by name: `ditto target refresh NAME` replaces one's contents with the current dump, scrubbed when obfuscation rules exist.");

/** Kinds of realistic values the `replace` strategy makes. */
export const REPLACE_TYPES = ['email', 'name', 'first_name', 'last_name', 'username', 'phone', 'address', 'city', 'postal_code', 'company', 'text'] as const;

const ruleTarget = {
  table: z.string().min(1).describe('`table` or `schema.table` (default schema: public).'),
  column: z.string().min(1).describe('The column to scrub.'),
  warn_only: z.boolean().optional().describe('A rule whose column holds no value is an error (it is likely aimed at the wrong column), unless this says to only warn.'),
};

const strategy = <S extends string>(name: S) =>
  z.literal(name).describe('How: `replace` (a realistic value of `type`), `hash` (hex of a keyed hash), `nullify` (NULL), `redact` (`value`), `mask` (all but the last `keep` letters and digits hidden).');

/** One column to scrub, and how. */
const obfuscationRule = z.discriminatedUnion('strategy', [
  z.strictObject({ ...ruleTarget, strategy: strategy('replace'), type: z.enum(REPLACE_TYPES).describe('The kind of value that replaces each one; equal values get equal replacements.') }),
  z.strictObject({ ...ruleTarget, strategy: strategy('hash') }),
  z.strictObject({ ...ruleTarget, strategy: strategy('nullify') }),
  z.strictObject({ ...ruleTarget, strategy: strategy('redact'), value: z.string().default('REDACTED').describe('The text every value that is not NULL becomes.') }),
  z.strictObject({
    ...ruleTarget,
    strategy: strategy('mask'),
    keep: z.number().int().min(0).default(4).describe('How many characters at the end stay as they are.'),
    char: z.string().length(1).default('*').describe('The character that replaces each letter and digit before them (separators stay).'),
  }),
]);

const obfuscate = z
  .strictObject({
    seed: secret
      .optional()
      .describe(
        'Makes the scrub deterministic: the same value becomes the same replacement in every table, so joins and unique constraints on scrubbed columns hold. A secret reference is allowed. Without one, each scrub draws a random seed (joins still hold within one database).',
      ),
    rules: z.array(obfuscationRule).default([]).describe('The columns to scrub, one rule each.'),
    columns: columnPolicy,
    keep: keepPatterns,
  })
  .default({ rules: [], columns: { policy: 'permissive' }, keep: [] })
  .describe('Columns scrubbed before a copy sees them: by `ditto reseed` (restore, scrub, dump) and by `up --obfuscate`.');

const pool = z
  .strictObject({
    size: z.number().int().min(0).max(100).default(2).describe('Warm copies kept ready (0: none; each `up` makes its copy).'),
    idle_ttl: duration.default(3600).describe('With no request for a copy for this long, the warm copies are destroyed, and none are made until the next `up`.'),
  })
  .default({ size: 2, idle_ttl: 3600 })
  .describe('The warm pool: copies made ahead of demand, so `ditto up` hands one over at once.');

const test_databases = z
  .strictObject({
    stock: z.number().int().min(0).max(64).default(4).describe('Clones of the template kept ready in a copy once it has made a per-test database, so `ditto db new` renames one instead of copying files (0: clone on demand).'),
    stock_max_bytes: byteSize.default(2 * 2 ** 30).describe("A copy's stock holds no more data than this in all: a large database keeps fewer clones ready, or none."),
  })
  .default({ stock: 4, stock_max_bytes: 2 * 2 ** 30 })
  .describe('Per-test databases (`ditto db new`, PostgreSQL): databases cloned inside a copy from a template of its data.');

const local = z
  .strictObject({
    bin_dir: z.string().min(1).optional().describe('Directory holding the server binaries (initdb, postgres, pg_restore, psql).'),
    user: z.string().min(1).optional().describe("The unprivileged account servers run as when ditto runs as root (default: the engine's own, postgres or mysql)."),
    data_dir: z.string().min(1).optional().describe("Where copies' and golden snapshots' data directories live (default: <home>/local, or /var/tmp/ditto-* as root)."),
    clone: z
      .enum(['auto', 'btrfs', 'reflink', 'overlay', 'copy'])
      .default('auto')
      .describe(
        'How copies are cloned from a golden snapshot; auto: the cheapest the data directory allows: a btrfs snapshot (data_dir on btrfs), a reflink copy (its filesystem clones blocks: XFS with reflink, btrfs), an overlay mount (as root), else a plain copy.',
      ),
  })
  .default({ clone: 'auto' })
  .describe('The local runtime: a database server of its own per copy, from the binaries on this machine.');

const docker = z
  .strictObject({
    network: z
      .enum(['auto', 'bridge', 'host'])
      .default('auto')
      .describe(
        "`bridge`: the container has its own network and its port is published on 127.0.0.1 only. `host`: the container shares the host's network and the server listens on 127.0.0.1:<port>. `auto`: bridge when the engine has its default bridge network, else host.",
      ),
  })
  .default({ network: 'auto' })
  .describe('The Docker runtime: a container per copy.');

/** A caller of the shared host. */
const hostToken = z.strictObject({
  name: z.string().min(1).max(64).refine(isPrintable, 'a name holds no control characters').describe("The caller's name (at most 64 printable characters): the copies it makes are its own, owned as token:<name>."),
  token: secret.describe('The bearer token, literal or a secret reference (env:NAME, file:PATH).'),
});

/** A certificate (chain) and its private key: paths of PEM files. */
const certPair = z.strictObject({
  cert: z.string().min(1).describe('Path of the certificate (chain), PEM.'),
  key: z.string().min(1).describe('Path of its private key, PEM.'),
});

const oidc = z.strictObject({
  issuer: z.string().url().describe("The issuer's URL, as its tokens' `iss` says (e.g. https://token.actions.githubusercontent.com)."),
  audience: z.string().min(1).describe('The `aud` tokens must carry for this host.'),
  jwks_url: z.string().url().optional().describe("Where the issuer's keys are (default: jwks_uri of <issuer>/.well-known/openid-configuration)."),
  owner_claim: z.string().min(1).default('sub').describe('The claim that names a caller, whose copies are theirs (GitHub: `repository` or `repository_owner`).'),
  admin_claim: z.string().min(1).optional().describe('A claim that makes a caller an admin: present and true (or "true"), or equal to admin_value when that is set.'),
  admin_value: z.string().min(1).optional().describe('The value of admin_claim that makes an admin (or, for a list such as groups, a value it holds).'),
  clock_skew: duration.default(60).describe("How far the token's clocks may be off from the host's (exp, nbf)."),
  required_claims: z
    .record(z.string().min(1), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]))
    .optional()
    .describe(
      "Claims a token must carry, each with the value given or one of a list (GitHub: `repository_owner: my-org`). Without them every subject the issuer signs a token for, with this audience, is a caller: on GitHub's issuer, any repository's workflow can ask for any audience.",
    ),
});

const host = z
  .strictObject({
    listen: z.string().min(1).default('127.0.0.1').describe('The address to listen on.'),
    port: z.number().int().min(0).max(65535).default(7433).describe('The port to listen on; 0 takes a free port (the bound address is logged).'),
    advertise_host: z.string().min(1).optional().describe("The host name put in connection strings (default: the listen address, or this machine's name when listening on all)."),
    copy_listen: z.string().min(1).optional().describe('The address copies served by the host listen on (default: listen), so that the DSNs it hands out connect from other machines.'),
    tls: certPair.optional().describe('Serves the API over HTTPS; the files are read again on SIGHUP.'),
    copy_tls: z
      .union([z.literal('auto'), certPair])
      .optional()
      .describe(
        "Copies accept TLS connections only: with the operator's certificate (DSNs say sslmode=verify-full), or `auto`, a certificate signed by a CA made once in the home and served at GET /v2/ca.pem (DSNs say sslmode=require).",
      ),
    oidc: oidc.optional().describe("Callers who present a JWT from an OpenID Connect issuer (a CI's workload identity) instead of a static token."),
    tokens: z.array(hostToken).default([]).describe('Callers: each sees and destroys only its own copies.'),
    admin_tokens: z.array(hostToken).default([]).describe('Callers who see and destroy every copy.'),
    body_limit: byteSize.default(64 * 1024).describe('A request body larger than this is refused (413).'),
    request_timeout: duration.default(300).describe('The longest a request may take, provisioning included; a copy not made by then is removed.'),
    reseed_cron: z.string().min(1).optional().describe('When to run `ditto reseed` (a cron expression, e.g. `0 3 * * *`); none by default.'),
    max_copies_per_owner: z.number().int().min(1).optional().describe('The most live copies one caller (not an admin) may hold; past it, 429 with Retry-After. Unset: no limit.'),
    dump_uris: z.array(z.string().min(1)).default([]).describe("URL prefixes a caller's dump_uri must lie under, compared after normalising by origin and whole path segments (e.g. `s3://team-dumps/`); none by default, so no caller names a URL the host fetches."),
    ...webhookKeys({ secret, duration }),
  })
  .default({ listen: '127.0.0.1', port: 7433, tokens: [], admin_tokens: [], body_limit: 64 * 1024, request_timeout: 300, dump_uris: [], webhooks: [], webhook_expiring_before: 600 })
  .describe('`ditto host`: the shared /v2 HTTP API (docs/operating-a-host.md).');

const state = z
  .strictObject({
    retention: duration.default(7 * 86400).describe('Destroyed and failed copies, with their events, are forgotten this long after they ended.'),
  })
  .default({ retention: 7 * 86400 })
  .describe('The state file (<home>/state.db).');

export const configSchema = z.strictObject({
  runtime: z.enum(['auto', 'local', 'docker']).default('auto').describe('Where copies run: `auto` (Docker when an engine answers and has the image, else local), `local` or `docker`.'),
  engine: z
    .enum([...ENGINE_NAMES, 'mariadb'])
    .transform((name) => (name === 'mariadb' ? 'mysql' : name))
    .optional()
    .describe("The database copies run (mariadb is mysql); unset, it is inferred: source.url's scheme, else the dump's format, else postgres."),
  ttl: duration.default(3600).describe('TTL of a copy when `--ttl` is not given.'),
  max_ttl: duration.default(7 * 86400).describe('The longest TTL `up --ttl` or `extend` may give a copy.'),
  ready_timeout: duration.default(60).describe('How long to wait for a copy to accept connections before giving up.'),
  dump,
  prepare,
  source,
  targets,
  obfuscate,
  ports,
  pool,
  test_databases,
  local,
  copy_image: z.string().min(1).optional().describe("The image Docker copies run (default: the engine's official image, e.g. postgres:16)."),
  docker,
  host,
  mcp,
  state,
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type HostConfig = z.output<typeof host>;
export type McpConfig = z.output<typeof mcp>;
export type ObfuscationRule = z.output<typeof obfuscationRule>;
export type ReplaceType = (typeof REPLACE_TYPES)[number];
