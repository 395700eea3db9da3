import { z } from 'zod';
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

const ports = z
  .strictObject({ min: port.default(5433), max: port.default(5600) })
  .refine((range) => range.min <= range.max, { message: 'min must not be above max' })
  .default({ min: 5433, max: 5600 });

const dump = z
  .strictObject({
    /** The dump every copy starts from: custom format (pg_dump -Fc) or plain SQL. */
    path: z.string().min(1).optional(),
    stale_threshold: duration.default(7 * 86400),
    /** Restore each dump once into a golden snapshot and clone copies from it (false: restore into every copy). */
    golden: z.boolean().default(true),
  })
  .default({ stale_threshold: 7 * 86400, golden: true });

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

export const configSchema = z.strictObject({
  runtime: z.enum(['auto', 'local', 'docker']).default('auto'),
  engine: z.enum(['postgres']).default('postgres'),
  /** TTL of a copy when `--ttl` is not given. */
  ttl: duration.default(3600),
  /** Seconds to wait for a copy to accept connections before giving up. */
  ready_timeout: duration.default(60),
  dump,
  ports,
  pool,
  local,
  /** The image Docker copies run (default: the engine's official image, e.g. postgres:16). */
  copy_image: z.string().min(1).optional(),
  docker,
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
