import { DittoError } from '../errors.js';

/**
 * The established ditto's (Go, v0.4) config keys, taken and moved onto this ditto's before the
 * config is validated, so its ditto.yaml still works. Each one found gives a notice naming the new
 * key; `ditto init --migrate FILE` writes the translated config. Any other unknown key stays an error.
 */

type Raw = Record<string, unknown>;

/** An old top-level key and where its value goes (a dotted path). */
const RENAMED: Record<string, string> = {
  copy_ttl_seconds: 'ttl',
  port_pool_start: 'ports.min',
  port_pool_end: 'ports.max',
  warm_pool_size: 'pool.size',
};

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function setPath(raw: Raw, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let target = raw;
  for (const key of keys.slice(0, -1)) {
    if (!isRecord(target[key])) target[key] = {};
    target = target[key] as Raw;
  }
  target[keys.at(-1)!] = value;
}

/** Takes `section.key` out of `raw` (and the section, once empty); undefined when it is not there. */
function take(raw: Raw, section: string, key: string): unknown {
  const holder = raw[section];
  if (!isRecord(holder) || !(key in holder)) return undefined;
  const value = holder[key];
  delete holder[key];
  if (Object.keys(holder).length === 0) delete raw[section];
  return value;
}

/** `server.addr` (`HOST:PORT`, `:PORT`, `[::1]:PORT`) as host.listen and host.port. */
function splitAddr(addr: unknown): { listen?: string; port: number } {
  const match = typeof addr === 'string' ? /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr.trim()) : null;
  if (!match) throw new DittoError('CONFIG', `server.addr: expected HOST:PORT, got ${JSON.stringify(addr)}`, { hint: 'or write host.listen and host.port' });
  const listen = match[1] ?? match[2];
  return { ...(listen ? { listen } : { listen: '0.0.0.0' }), port: Number(match[3]) };
}

/** An old obfuscation rule: `with` (the replacement's type, or redact's text), `mask_char`, `keep_last`, `warn_only`. */
function translateRule(rule: unknown): unknown {
  if (!isRecord(rule)) return rule;
  const { with: withValue, mask_char: maskChar, keep_last: keepLast, ...rest } = rule;
  const out: Raw = { ...rest };
  if (withValue !== undefined) out[rule.strategy === 'redact' ? 'value' : 'type'] = withValue;
  if (maskChar !== undefined) out.char = maskChar;
  if (keepLast !== undefined) out.keep = keepLast;
  return out;
}

/**
 * Moves the established ditto's keys in `raw` (a parsed ditto.yaml, changed in place) onto this
 * ditto's; returns a notice per key moved. A key given both ways keeps the new one's value.
 */
export function translateLegacy(raw: Raw): string[] {
  const notices: string[] = [];
  const moved = (old: string, now: string) => notices.push(`${old} is the established ditto's key: write ${now} (ditto init --migrate rewrites the file)`);
  const put = (dotted: string, value: unknown) => {
    const [section, key] = dotted.split('.');
    const present = key === undefined ? raw[section!] : isRecord(raw[section!]) ? (raw[section!] as Raw)[key] : undefined;
    if (present === undefined) setPath(raw, dotted, value);
  };
  for (const [old, now] of Object.entries(RENAMED)) {
    if (!(old in raw)) continue;
    put(now, raw[old]);
    delete raw[old];
    moved(old, now);
  }
  const schedule = take(raw, 'dump', 'schedule');
  if (schedule !== undefined) {
    put('host.reseed_cron', schedule);
    moved('dump.schedule', 'host.reseed_cron');
  }
  const addr = take(raw, 'server', 'addr');
  if (addr !== undefined) {
    const { listen, port } = splitAddr(addr);
    put('host.listen', listen);
    put('host.port', port);
    moved('server.addr', 'host.listen and host.port');
  }
  const advertise = take(raw, 'server', 'advertise_host');
  if (advertise !== undefined) {
    put('host.advertise_host', advertise);
    moved('server.advertise_host', 'host.advertise_host');
  }
  const auth = isRecord(raw.server) ? raw.server.auth : undefined;
  if (isRecord(auth) && 'static_token' in auth) {
    const token = auth.static_token;
    delete auth.static_token;
    if (Object.keys(auth).length === 0) take(raw, 'server', 'auth');
    put('host.tokens', [{ name: 'static', token }]);
    moved('server.auth.static_token', 'host.tokens: [{name, token}]');
  }
  const rules = take(raw, 'obfuscation', 'rules');
  if (rules !== undefined) {
    put('obfuscate.rules', Array.isArray(rules) ? rules.map(translateRule) : rules);
    moved('obfuscation.rules', 'obfuscate.rules (with: type or value, mask_char: char, keep_last: keep)');
  }
  return notices;
}
