import crypto from 'node:crypto';
import os from 'node:os';
import tls from 'node:tls';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import type { Log } from '../copies/context.js';
import type { Copies } from '../copies/house.js';
import { MAINTAINER_LEASE } from '../copies/maintainer.js';
import { loadServing } from '../copies/serving.js';
import { readNamedFile } from '../config/named-file.js';
import type { Serving } from '../model/endpoint.js';
import type { Engines } from '../engines/registry.js';
import { DittoError, asDittoError } from '../errors.js';
import { currentDriver } from '../model/process-identity.js';
import type { Runtimes } from '../runtimes/registry.js';
import type { Lease } from '../state/meta-repo.js';
import { MIGRATIONS } from '../state/migrations.js';
import { StateMirror } from '../state/mirror.js';
import { STATE_FILE } from '../state/store.js';
import { TokenAuth } from './auth.js';
import { runHostMaintenance, scheduleReseed } from './maintenance.js';
import { CallerLimits } from './limits.js';
import { Metrics, type Family } from './metrics.js';
import { MirrorReads } from './reads.js';
import { withDiskBytes } from '../copies/disk-bytes.js';
import { userConnectionString } from '../copies/lifecycle.js';
import { cachedDiskBytes } from './disk-bytes-cache.js';
import type { HostServices } from './routes.js';
import { HostServer } from './server.js';
import { WebhookOutbox } from './webhook-delivery.js';
import { watchForWebhooks, type WebhookWatch } from './webhook-watch.js';

/** What the composition root hands the host: the copies floor over connections of its own, and the engines and runtimes behind it. */
export interface HostHouse {
  open(opts: { actor: string; log: Log; dsnHost: string | null; serving: () => Promise<Serving> }): Copies;
  engines: Engines;
  runtimes: Runtimes;
}

export interface HostOptions {
  /** Override host.listen / host.port (the command's --listen / --port). */
  listen?: string | undefined;
  port?: number | undefined;
  /** What the reseed schedule runs (default: `ditto reseed` of this home, from source.url). */
  reseed?: () => Promise<void>;
  logger?: Logger;
}

export interface RunningHost {
  url: string;
  /** Graceful: stop accepting, finish requests in flight, stop the maintenance loop, close state. */
  shutdown(): Promise<void>;
  /** Cuts requests in flight short (each removes what it was making); shutdown() still completes. */
  abortRequests(): void;
  /** Reads host.tls's files again and presents them to new connections (SIGHUP); a file that fails keeps the old certificate. */
  reloadTls(): void;
}

/** How long a copy's measured size is reused (each open dashboard asks for sizes every 30 s). */
const DISK_BYTES_CACHE_MS = 10_000;

/** How long the runtime the host reports in /v2/status is reused before asking again (a Docker probe). */
const RUNTIME_CACHE_MS = 10_000;

/** `load`'s answer, asked again once it is older than `ms`. */
function recentFor<T>(ms: number, load: () => Promise<T>): () => Promise<T> {
  let seen: { at: number; value: Promise<T> } | null = null;
  return () => {
    if (!seen || Date.now() - seen.at > ms) seen = { at: Date.now(), value: load() };
    return seen.value;
  };
}

/**
 * Starts `ditto host`: the /v2 server over a state connection of its own (whose writes the
 * mirror copies), reads from the mirror, and the maintenance loop on a second connection, so
 * its writes reach the mirror through the same change check as another process's would.
 */
export async function startHost(loaded: LoadedConfig, house: HostHouse, opts: HostOptions = {}): Promise<RunningHost> {
  const { config, home } = loaded;
  const dsnHost = advertiseHost(config.host.advertise_host, opts.listen ?? config.host.listen);
  // Loaded before anything starts: a certificate that cannot be read stops the host at once.
  const loadedServing = await loadServing({ config, home, listen: opts.listen, advertiseHost: dsnHost });
  const apiTls = apiCertificate(config);
  const serving = async () => loadedServing;
  // Asynchronous writes: a request never waits for its log line; shutdown flushes what is left.
  const destination = opts.logger ? null : pino.destination({ dest: 1, sync: false });
  const logger = opts.logger ?? pino({}, destination!);
  const log = (message: string, fields?: Record<string, unknown>) => logger.info(fields ?? {}, message);
  const auth = TokenAuth.fromConfig(config.host);
  const metrics = new Metrics();
  // Synchronous work on the host's one thread (SQLite, process scans) delays every request: measure it.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  // By default a due reseed replaces this home's dump, as `ditto reseed` would (source.url in config).
  const reseedNow =
    opts.reseed ??
    (async () => {
      const { reseed: reseedDump } = await import('../reseed/reseed.js');
      await reseedDump({ copies: upkeep, engines: house.engines, runtimes: house.runtimes, onHookProblem: (line) => warn(line) }, {});
    });
  let webhooks: WebhookWatch | null = null;
  const reseedTold = async () => {
    try {
      await reseedNow();
    } catch (err) {
      webhooks?.reseedFailed(err);
      throw err;
    }
  };
  const reseed = scheduleReseed(config.host.reseed_cron, reseedTold, log, (result) => metrics.reseedRan(result));

  const warn: Log = (message, fields) => logger.warn(fields ?? {}, message);
  // Requests write through one connection, which the mirror copies; the maintenance loop through
  // another, whose writes reach the mirror through the same change check as another process's.
  const requests = house.open({ actor: 'host', log: warn, dsnHost, serving });
  const upkeep = house.open({ actor: 'maintainer', log: warn, dsnHost, serving });
  const closeState = () => {
    void requests.manager.close();
    void upkeep.manager.close();
  };

  const mirror = await StateMirror.open(requests.db, {
    // A state file migrated by a newer ditto is not read with this one's queries.
    onReload: (db) => {
      const version = db.pragma('user_version') as number;
      if (version !== MIGRATIONS.length) throw new Error(`state schema version ${version}, this host reads ${MIGRATIONS.length}`);
    },
    log: (message, fields) => logger.warn(fields ?? {}, message),
  });
  const reads = new MirrorReads(mirror, config);

  const services: HostServices = {
    config,
    home,
    advertiseHost: dsnHost,
    reads,
    metrics,
    limits: new CallerLimits(config.host),
    copies: requests.manager,
    afterWrite: () => mirror.reload(),
    diskBytes: cachedDiskBytes((copies) => withDiskBytes(house.runtimes, copies), DISK_BYTES_CACHE_MS),
    runtime: recentFor(RUNTIME_CACHE_MS, () => {
      const engine = house.engines.current(config);
      return house.runtimes.choose(engine).then(
        (c) => ({ name: c.runtime.name, reason: c.reason, detail: c.runtime.describe(engine) }),
        (err: unknown) => ({ name: 'unavailable', reason: asDittoError(err).message, detail: '' }),
      );
    }),
    // Its size is a walk of its files: measured again at most as often as the runtime is asked.
    golden: recentFor(RUNTIME_CACHE_MS, async () => {
      const engine = house.engines.current(config);
      const { runtime } = await house.runtimes.choose(engine);
      return requests.goldens.current(runtime, engine, requests.provisioner.currentDump());
    }),
    authenticate: (token) => auth.authenticate(`Bearer ${token}`),
    connectionString: async (caller, id) => {
      const copy = await reads.record(caller, id);
      // A warm copy is the pool's, promised to whoever claims it next; a copy not ready has no server to reach.
      if (copy.status !== 'ready' || copy.warm) throw new DittoError('CONFLICT', `copy ${copy.id} is ${copy.warm ? 'in the warm pool' : copy.status}: it has no connection string to hand out`);
      return userConnectionString(house.engines, copy, dsnHost);
    },
    reseed,
    refreshTarget: async (name, { dryRun, signal }) => {
      const { refreshTarget } = await import('../reseed/targets.js');
      return refreshTarget({ copies: requests, engines: house.engines, runtimes: house.runtimes, signal }, { name, dryRun, confirm: async () => true });
    },
    families: async () => hostFamilies(await reads.counts(), config.ports, mirror, await reads.lease(MAINTAINER_LEASE), reseed.next(), loopDelay),
  };

  const server = new HostServer({ auth, services, bodyLimit: config.host.body_limit, requestTimeoutMs: config.host.request_timeout * 1000, logger, tls: apiTls });
  const stopMaintenance = new AbortController();
  let maintenance: Promise<void> = Promise.resolve();
  let address;
  try {
    address = await server.listen(opts.port ?? config.host.port, opts.listen ?? config.host.listen);
  } catch (err) {
    await reseed.stop();
    await mirror.close();
    closeState();
    throw err;
  }
  // On the maintenance connection: its marks (a copy warned of its expiry) are the maintainer's kind of write.
  if (config.host.webhooks.length) {
    const outbox = new WebhookOutbox(config.host.webhooks, warn);
    webhooks = watchForWebhooks({ db: upkeep.db, outbox, expiringBeforeMs: config.host.webhook_expiring_before * 1000, advertiseHost: dsnHost, log: warn });
  }
  maintenance = runHostMaintenance(upkeep, { log, stateFile: path.join(home, STATE_FILE), signal: stopMaintenance.signal }).catch((err: unknown) =>
    logger.error({ error: asDittoError(err).message }, 'maintenance loop stopped'),
  );
  const url = `${server.secure ? 'https' : 'http'}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log('ditto host listening', { url, advertise_host: services.advertiseHost, home, callers: auth.size, oidc_issuer: config.host.oidc?.issuer ?? null });

  return {
    url,
    abortRequests: () => server.abortAll(),
    reloadTls: () => {
      const files = config.host.tls;
      if (!files) return log('SIGHUP: no host.tls to reload');
      try {
        server.replaceCertificate(apiCertificate(config)!);
        log('host.tls reloaded', { cert: files.cert });
      } catch (err) {
        logger.error({ cert: files.cert, error: asDittoError(err).message }, 'host.tls not reloaded: the previous certificate stays');
      }
    },
    shutdown: async () => {
      log('shutting down: finishing requests in flight');
      await server.shutdown(config.host.request_timeout * 1000);
      stopMaintenance.abort();
      await maintenance;
      await reseed.stop();
      // Deliveries not done are dropped: a receiver that does not answer never holds the host up.
      await webhooks?.stop();
      await mirror.close();
      closeState();
      loopDelay.disable();
      log('ditto host stopped');
      destination?.flushSync();
    },
  };
}

/**
 * Runs the host until SIGTERM or SIGINT, then shuts down gracefully; a second signal cuts the
 * requests in flight short (they still remove what they were making).
 */
export async function runHost(loaded: LoadedConfig, house: HostHouse, opts: HostOptions = {}): Promise<void> {
  const host = await startHost(loaded, house, opts);
  await new Promise<void>((resolve) => {
    const names = ['SIGTERM', 'SIGINT'] as const;
    let stopping = false;
    const onSignal = () => {
      if (stopping) return host.abortRequests();
      stopping = true;
      void host.shutdown().finally(() => {
        for (const name of names) process.off(name, onSignal);
        process.off('SIGHUP', onHangUp);
        resolve();
      });
    };
    const onHangUp = () => host.reloadTls();
    process.on('SIGHUP', onHangUp);
    for (const name of names) process.on(name, onSignal);
  });
}

/** host.tls's certificate and key, read now and checked to go together. */
function apiCertificate(config: LoadedConfig['config']): { cert: Buffer; key: Buffer } | undefined {
  const files = config.host.tls;
  if (!files) return undefined;
  const pair = { cert: readNamedFile(files.cert, 'host.tls.cert'), key: readNamedFile(files.key, 'host.tls.key') };
  try {
    tls.createSecureContext(pair);
    // Deno's createSecureContext takes any text; parsing both and matching them refuses a broken
    // file there too, before it replaces a working certificate.
    const key = crypto.createPrivateKey(pair.key);
    if (!new crypto.X509Certificate(pair.cert).checkPrivateKey(key)) throw new Error('the key does not match the certificate');
  } catch (err) {
    throw new DittoError('CONFIG', `host.tls: ${files.cert} and ${files.key} are not a usable certificate and key: ${(err as Error).message}`, {
      hint: 'give a PEM certificate (chain) and the private key that goes with it',
    });
  }
  return pair;
}

/** The host name in connection strings: host.advertise_host, else the listen address unless it is a wildcard. */
function advertiseHost(configured: string | undefined, listen: string): string {
  if (configured) return configured;
  if (listen === '0.0.0.0' || listen === '::' || listen === '') return os.hostname();
  return listen;
}

function hostFamilies(
  counts: Awaited<ReturnType<MirrorReads['counts']>>,
  ports: { min: number; max: number },
  mirror: StateMirror,
  lease: Lease | undefined,
  nextReseed: Date | null,
  loopDelay: IntervalHistogram,
): Family[] {
  const families: Family[] = [
    {
      name: 'ditto_copies',
      help: 'Live copies on this host, by state.',
      type: 'gauge',
      samples: (['active', 'warm', 'provisioning', 'destroying'] as const).map((state) => ({ labels: { state }, value: counts[state] })),
    },
    { name: 'ditto_port_pool_free', help: 'Ports in the copy range that no copy leases.', type: 'gauge', samples: [{ value: counts.portsFree }] },
    { name: 'ditto_port_pool_size', help: 'Ports in the copy range.', type: 'gauge', samples: [{ value: ports.max - ports.min + 1 }] },
    { name: 'ditto_state_mirror_reloads_total', help: 'State mirror reloads published.', type: 'counter', samples: [{ value: mirror.reloads }] },
    { name: 'ditto_state_mirror_reload_failures_total', help: 'State mirror reloads rejected by their check (the previous mirror stayed).', type: 'counter', samples: [{ value: mirror.failures }] },
    { name: 'ditto_maintainer_lease_held', help: '1 while this host holds the maintainer lease.', type: 'gauge', samples: [{ value: lease?.holder === currentDriver() ? 1 : 0 }] },
  ];
  families.push({
    name: 'ditto_event_loop_delay_seconds',
    help: 'How late the host’s event loop ran since start (median, 99th percentile, max).',
    type: 'gauge',
    samples: [0.5, 0.99, 1].map((q) => ({ labels: { quantile: String(q) }, value: (q === 1 ? loopDelay.max : loopDelay.percentile(q * 100)) / 1e9 })),
  });
  if (nextReseed) families.push({ name: 'ditto_reseed_next_timestamp_seconds', help: 'When the next scheduled reseed is due.', type: 'gauge', samples: [{ value: Math.round(nextReseed.getTime() / 1000) }] });
  return families;
}

