import process from 'node:process';
import { DittoError } from './errors.js';
import type { UpOptions } from './types.js';

/** What `up` asks, checked once for both modes. */
export interface UpRequest {
  ttlSeconds: number | undefined;
  label: string | undefined;
  name: string | undefined;
  dump: string | undefined;
  runId: string | undefined;
  jobName: string | undefined;
  obfuscate: boolean;
}

const UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/** A TTL as ditto takes it: whole seconds, or a number with s, m, h or d. */
export function ttlSeconds(ttl: number | string): number {
  const match = typeof ttl === 'number' ? null : /^\s*(\d+)\s*([smhd]?)\s*$/i.exec(ttl);
  const seconds = typeof ttl === 'number' ? ttl : match ? Number(match[1]) * UNITS[match[2]!.toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new DittoError('BAD_INPUT', `bad TTL '${String(ttl)}'`, { hint: 'use a positive whole number of seconds, or one with a unit: 90s, 15m, 2h, 1d' });
  }
  return seconds;
}

/** Each CI service: the variable that says it is that service, and its run's and job's variables (as ditto's CLI reads them). */
const SERVICES: { marker: string; run: string; job: string }[] = [
  { marker: 'GITHUB_ACTIONS', run: 'GITHUB_RUN_ID', job: 'GITHUB_JOB' },
  { marker: 'GITLAB_CI', run: 'CI_PIPELINE_ID', job: 'CI_JOB_NAME' },
  { marker: 'CIRCLECI', run: 'CIRCLE_WORKFLOW_ID', job: 'CIRCLE_JOB' },
  { marker: 'BUILDKITE', run: 'BUILDKITE_BUILD_ID', job: 'BUILDKITE_LABEL' },
  { marker: 'JENKINS_URL', run: 'BUILD_TAG', job: 'JOB_NAME' },
  { marker: 'TRAVIS', run: 'TRAVIS_BUILD_ID', job: 'TRAVIS_JOB_NAME' },
];

/** The run and job a copy is for when the caller does not say: DITTO_RUN_ID/DITTO_JOB_NAME, else the CI service's own. */
function ciRun(): { runId: string | undefined; jobName: string | undefined } {
  const env = process.env;
  const service = SERVICES.find((s) => env[s.marker]);
  const pick = (own: string, theirs: string | undefined) => env[own] || (theirs ? env[theirs] : undefined) || undefined;
  return { runId: pick('DITTO_RUN_ID', service?.run), jobName: pick('DITTO_JOB_NAME', service?.job) };
}

export function upRequest(options: UpOptions): UpRequest {
  for (const [name, value] of Object.entries({ label: options.label, name: options.name, dump: options.dump, runId: options.runId, jobName: options.jobName })) {
    if (value !== undefined && (typeof value !== 'string' || value === '' || /[\r\n]/.test(value))) {
      throw new DittoError('BAD_INPUT', `${name} must be a non-empty string on one line`);
    }
  }
  const ci = ciRun();
  return {
    ttlSeconds: options.ttl === undefined ? undefined : ttlSeconds(options.ttl),
    label: options.label,
    name: options.name,
    dump: options.dump,
    runId: options.runId ?? ci.runId,
    jobName: options.jobName ?? ci.jobName,
    obfuscate: options.obfuscate === true,
  };
}

/** A copy id as `up` returned it: checked before it goes into a command line or a URL. */
export function copyId(id: string): string {
  if (typeof id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(id)) throw new DittoError('BAD_INPUT', `'${String(id)}' is not a copy id`, { hint: 'give the id `up` returned' });
  return id;
}
