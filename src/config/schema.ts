import * as z from 'zod';
import { ENGINE_NAMES } from '../model/copy.js';
import { tryParseDuration } from './duration.js';

/** A duration in config (`15m`, `2h`, `1d`, or seconds), validated and held as whole seconds. */
const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const seconds = tryParseDuration(value);
  if (seconds === null) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 90s, 15m, 2h, 1d; got '${value}'` });
    return z.NEVER;
  }
  return seconds;
});

const port = z.number().int().min(1).max(65535);

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** A size in bytes: a number, or `500MB`, `20GiB`. */
const byteSize = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(String(value).trim());
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a size like 500MB, 20GiB or a number of bytes; got '${value}'` });
    return z.NEVER;
  }
  return Math.floor(Number(match[1]) * unit);
});

/**
 * A value that may be a secret reference instead of the secret itself: `env:NAME` reads the
 * variable, `file:PATH` the file's first line, at the moment it is used (src/dump/secrets.ts).
 */
const secret = z.string().min(1);

/** Where `s3://` dumps are fetched from: AWS by default, or an S3-compatible server. */
const s3 = z
  .strictObject({
    /** An S3-compatible server's URL (e.g. http://127.0.0.1:9000); default: AWS for the region. */
    endpoint: z.string().url().optional(),
    region: z.string().min(1).optional(),
    /** Path-style addressing (http://host/bucket/key), which most S3-compatible servers need. */
    force_path_style: z.boolean().default(true),
    /** Credentials; without them, the SDK's usual chain (AWS_* variables, ~/.aws) applies. */
    access_key_id: secret.optional(),
    secret_access_key: secret.optional(),
  })
  .default({ force_path_style: true });

const ports = z
  .strictObject({ min: port.default(5433), max: port.default(5600) })
  .refine((range) => range.min <= range.max, { message: 'min must not be above max' })
  .default({ min: 5433, max: 5600 });

const dump = z
  .strictObject({
    /** The dump every copy starts from: custom format (pg_dump -Fc) or plain SQL. */
    path: z.string().min(1).optional(),
    stale_threshold: duration.default(7 * 86400),
    /** Tables whose schema `ditto reseed` keeps and whose rows it leaves out (audit logs, sessions): `table` or `schema.table`. */
    exclude_table_data: z.array(z.string().min(1)).default([]),
    /** Restore each dump once into a golden snapshot and clone copies from it (false: restore into every copy). */
    golden: z.boolean().default(true),
    /** A `--dump` download larger than this is refused. */
    max_download_bytes: byteSize.default(20 * 2 ** 30),
    /** Downloaded dumps are kept in <home>/cache/dumps up to this total; the least recently used go first. */
    cache_max_bytes: byteSize.default(50 * 2 ** 30),
    /** Extra CA certificates (PEM) trusted for https:// dumps, besides the system's and NODE_EXTRA_CA_CERTS. */
    ca_file: z.string().min(1).optional(),
    /** What a failed reseed (scheduled or by hand) sets off: a JSON POST, and/or a shell command; both get the error, never a secret. */
    on_failure: z
      .strictObject({
        /** Receives {event, error, code, hint, source, home, at} as JSON (a secret reference is allowed). */
        webhook_url: secret.optional(),
        /** Run by the shell with DITTO_RESEED_ERROR, DITTO_RESEED_CODE, DITTO_RESEED_SOURCE set. */
        exec: z.string().min(1).optional(),
      })
      .optional(),
    s3,
  })
  .default({ exclude_table_data: [], stale_threshold: 7 * 86400, golden: true, max_download_bytes: 20 * 2 ** 30, cache_max_bytes: 50 * 2 ** 30, s3: { force_path_style: true } });

/**
 * Migrations baked into golden snapshots: `command` runs once against a builder restored from the
 * dump (DATABASE_URL set), and the snapshot's key carries the command and the content of the
 * files `inputs` match, so an edited migration makes a new snapshot on the next `up`.
 */
const prepare = z
  .strictObject({
    command: z.string().min(1),
    /** Globs of the files the command reads (migrations), relative to ditto.yaml. */
    inputs: z.array(z.string().min(1)).default([]),
    /** Where the command runs and the globs start (default: the directory of ditto.yaml). */
    dir: z.string().min(1).optional(),
    /** The longest the command may run. */
    timeout: duration.default(600),
  })
  .optional();

/** The database `ditto reseed` dumps. */
const source = z
  .strictObject({
    /** postgresql:// URL, or a secret reference (env:NAME, file:PATH) to one. */
    url: secret.optional(),
  })
  .default({});

/**
 * Long-lived databases ditto does not own (staging), by name: `ditto target refresh NAME` replaces
 * one's contents with the current dump, scrubbed when obfuscation rules exist.
 */
const targets = z
  .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a target name is letters, digits, _ . -'), z.strictObject({ url: secret }))
  .default({});

/** Kinds of realistic values the `replace` strategy makes. */
export const REPLACE_TYPES = ['email', 'name', 'first_name', 'last_name', 'username', 'phone', 'address', 'city', 'postal_code', 'company', 'text'] as const;

const ruleTarget = {
  /** `table` or `schema.table` (default schema: public). */
  table: z.string().min(1),
  column: z.string().min(1),
  /** A rule whose column holds no value is an error (it is likely aimed at the wrong column), unless this says to only warn. */
  warn_only: z.boolean().optional(),
};

/** One column to scrub, and how. */
const obfuscationRule = z.discriminatedUnion('strategy', [
  z.strictObject({ ...ruleTarget, strategy: z.literal('replace'), type: z.enum(REPLACE_TYPES) }),
  z.strictObject({ ...ruleTarget, strategy: z.literal('hash') }),
  z.strictObject({ ...ruleTarget, strategy: z.literal('nullify') }),
  z.strictObject({ ...ruleTarget, strategy: z.literal('redact'), value: z.string().default('REDACTED') }),
  z.strictObject({ ...ruleTarget, strategy: z.literal('mask'), keep: z.number().int().min(0).default(4), char: z.string().length(1).default('*') }),
]);

const obfuscate = z
  .strictObject({
    /**
     * Makes the scrub deterministic: the same value becomes the same replacement in every table,
     * so joins and unique constraints on scrubbed columns hold. A secret reference is allowed.
     * Without one, each scrub draws a random seed (joins still hold within one database).
     */
    seed: secret.optional(),
    rules: z.array(obfuscationRule).default([]),
  })
  .default({ rules: [] });


const pool = z
  .strictObject({
    size: z.number().int().min(0).max(100).default(2),
    idle_ttl: duration.default(3600),
  })
  .default({ size: 2, idle_ttl: 3600 });

const local = z
  .strictObject({
    /** Directory holding the server binaries (initdb, postgres, pg_restore, psql). */
    bin_dir: z.string().min(1).optional(),
    /** The unprivileged account servers run as when ditto runs as root. */
    user: z.string().min(1).optional(),
    /** Where copies' and golden snapshots' data directories live (default: <home>/local, or /var/tmp/ditto-* as root). */
    data_dir: z.string().min(1).optional(),
    /** How copies are cloned from a golden snapshot; auto: overlay mount (as root), reflink, else a plain copy. */
    clone: z.enum(['auto', 'overlay', 'reflink', 'copy']).default('auto'),
  })
  .default({ clone: 'auto' });

const docker = z
  .strictObject({
    /**
     * `bridge`: the container has its own network and its port is published on 127.0.0.1 only.
     * `host`: the container shares the host's network and the server listens on 127.0.0.1:<port>.
     * `auto`: bridge when the engine has its default bridge network, else host.
     */
    network: z.enum(['auto', 'bridge', 'host']).default('auto'),
  })
  .default({ network: 'auto' });

/** A caller of the shared host: a name (copies are theirs) and a bearer token, literal or `env:NAME` / `file:PATH`. */
const hostToken = z.strictObject({ name: z.string().min(1).max(64), token: secret });

/** A certificate (chain) and its private key: paths of PEM files. */
const certPair = z.strictObject({ cert: z.string().min(1), key: z.string().min(1) });

/** Callers who present a JWT from an OpenID Connect issuer (a CI's workload identity) instead of a static token. */
const oidc = z.strictObject({
  /** The issuer's URL, as its tokens' `iss` says (e.g. https://token.actions.githubusercontent.com). */
  issuer: z.string().url(),
  /** The `aud` tokens must carry for this host. */
  audience: z.string().min(1),
  /** Where the issuer's keys are (default: jwks_uri of <issuer>/.well-known/openid-configuration). */
  jwks_url: z.string().url().optional(),
  /** The claim that names a caller, whose copies are theirs (GitHub: `repository` or `repository_owner`). */
  owner_claim: z.string().min(1).default('sub'),
  /** A claim that makes a caller an admin: present and true, or equal to admin_value when that is set. */
  admin_claim: z.string().min(1).optional(),
  admin_value: z.string().min(1).optional(),
  /** How far the token's clocks may be off from the host's (exp, nbf). */
  clock_skew: duration.default(60),
  /**
   * Claims a token must carry, each with the value given or one of a list (GitHub: `repository_owner: my-org`).
   * Without them every subject the issuer signs a token for, with this audience, is a caller: on
   * GitHub's issuer, any repository's workflow can ask for any audience.
   */
  required_claims: z.record(z.string().min(1), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])).optional(),
});

/** `ditto host`: the shared /v2 HTTP API (docs/architecture.md, "The /v2 API"). */
const host = z
  .strictObject({
    /** The address to listen on. */
    listen: z.string().min(1).default('127.0.0.1'),
    /** 0 takes a free port (the bound address is logged). */
    port: z.number().int().min(0).max(65535).default(7433),
    /** The host name put in connection strings (default: the listen address, or this machine's name when listening on all). */
    advertise_host: z.string().min(1).optional(),
    /** The address copies served by the host listen on (default: listen), so that the DSNs it hands out connect from other machines. */
    copy_listen: z.string().min(1).optional(),
    /** Serves the API over HTTPS; the files are read again on SIGHUP. */
    tls: certPair.optional(),
    /**
     * Copies accept TLS connections only: with the operator's certificate (DSNs say
     * sslmode=verify-full), or `auto`, a certificate signed by a CA made once in the home and served
     * at GET /v2/ca.pem (DSNs say sslmode=require).
     */
    copy_tls: z.union([z.literal('auto'), certPair]).optional(),
    oidc: oidc.optional(),
    /** Callers: each sees and destroys only its own copies. */
    tokens: z.array(hostToken).default([]),
    /** Callers who see and destroy every copy. */
    admin_tokens: z.array(hostToken).default([]),
    /** A request body larger than this is refused (413). */
    body_limit: byteSize.default(64 * 1024),
    /** The longest a request may take, provisioning included; a copy not made by then is removed. */
    request_timeout: duration.default(300),
    /** When to run `ditto reseed` (a cron expression, e.g. `0 3 * * *`); none by default. */
    reseed_cron: z.string().min(1).optional(),
    /** The most live copies one caller (not an admin) may hold; past it, 429 with Retry-After. Unset: no limit. */
    max_copies_per_owner: z.number().int().min(1).optional(),
    /** Prefixes a caller's dump_uri must start with (e.g. `s3://team-dumps/`); none by default, so no caller names a URL the host fetches. */
    dump_uris: z.array(z.string().min(1)).default([]),
  })
  .default({ listen: '127.0.0.1', port: 7433, tokens: [], admin_tokens: [], body_limit: 64 * 1024, request_timeout: 300, dump_uris: [] });

/** The state file (<home>/state.db). */
const state = z
  .strictObject({
    /** Destroyed and failed copies, with their events, are forgotten this long after they ended. */
    retention: duration.default(7 * 86400),
  })
  .default({ retention: 7 * 86400 });

export const configSchema = z.strictObject({
  runtime: z.enum(['auto', 'local', 'docker']).default('auto'),
  /** The database copies run; unset, the engine registry infers it (source.url's scheme, the dump). */
  engine: z
    .enum([...ENGINE_NAMES, 'mariadb'])
    .transform((name) => (name === 'mariadb' ? 'mysql' : name))
    .optional(),
  /** TTL of a copy when `--ttl` is not given. */
  ttl: duration.default(3600),
  /** The longest TTL `up --ttl` or `extend` may give a copy. */
  max_ttl: duration.default(7 * 86400),
  /** Seconds to wait for a copy to accept connections before giving up. */
  ready_timeout: duration.default(60),
  dump,
  prepare,
  source,
  targets,
  obfuscate,
  ports,
  pool,
  local,
  /** The image Docker copies run (default: the engine's official image, e.g. postgres:16). */
  copy_image: z.string().min(1).optional(),
  docker,
  host,
  state,
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type HostConfig = z.output<typeof host>;
export type ObfuscationRule = z.output<typeof obfuscationRule>;
export type ReplaceType = (typeof REPLACE_TYPES)[number];
