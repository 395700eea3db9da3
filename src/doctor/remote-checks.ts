import type { HttpClient } from '../client/http-client.js';
import { formatDuration } from '../config/duration.js';
import { asDittoError } from '../errors.js';
import type { Check, DoctorReport } from './checks.js';

/**
 * `ditto doctor --remote`: the host answers (its TLS trusted), the token is taken, and what the
 * host reports. Each step needs the one before it: the first failure ends the list.
 */
export async function runRemoteChecks(client: HttpClient): Promise<DoctorReport> {
  const checks: Check[] = [];
  const failed = (name: string, err: unknown): DoctorReport => {
    const e = asDittoError(err);
    checks.push({ name, status: 'fail', detail: e.message, ...(e.hint ? { hint: e.hint } : {}) });
    return { ok: false, checks };
  };
  try {
    await client.health();
    checks.push({ name: 'host', status: 'ok', detail: `${client.url} answers` });
  } catch (err) {
    return failed('host', err);
  }
  let status;
  try {
    status = await client.status();
    checks.push({ name: 'token', status: 'ok', detail: 'accepted by the host' });
  } catch (err) {
    return failed('token', err);
  }
  checks.push({ name: 'version', status: 'ok', detail: `ditto ${status.version} on the host` });
  checks.push({ name: 'runtime', status: 'ok', detail: status.runtime.detail });
  const { dump } = status;
  if (dump.path) {
    const age = dump.ageSeconds === null ? 'missing' : `${formatDuration(dump.ageSeconds)} old`;
    checks.push({ name: 'dump', status: dump.ageSeconds === null || dump.stale ? 'warn' : 'ok', detail: `${dump.path} (${age})`, ...(dump.stale ? { hint: 'the host operator runs `ditto reseed` (or sets host.reseed_cron)' } : {}) });
  }
  checks.push({
    name: 'capacity',
    status: status.ports.free === 0 ? 'fail' : 'ok',
    detail: `${status.copies.active} of your copies active, ${status.pool.ready} warm, ${status.ports.free} ports free`,
    ...(status.ports.free === 0 ? { hint: 'the host has no free port: copies must end first (or the operator widens ports)' } : {}),
  });
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}
