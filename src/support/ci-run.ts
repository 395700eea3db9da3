/** The CI run and job a copy is made for, so `ls` shows them and `down --run-id` ends a run's copies. */
export interface CiRun {
  runId: string | undefined;
  jobName: string | undefined;
}

/** Each CI service: the variable that says it is that service, and its run's and job's variables. */
const SERVICES: { marker: string; run: string; job: string }[] = [
  { marker: 'GITHUB_ACTIONS', run: 'GITHUB_RUN_ID', job: 'GITHUB_JOB' },
  { marker: 'GITLAB_CI', run: 'CI_PIPELINE_ID', job: 'CI_JOB_NAME' },
  { marker: 'CIRCLECI', run: 'CIRCLE_WORKFLOW_ID', job: 'CIRCLE_JOB' },
  { marker: 'BUILDKITE', run: 'BUILDKITE_BUILD_ID', job: 'BUILDKITE_LABEL' },
  // Jenkins sets no CI=true; JENKINS_URL is always there. BUILD_TAG is jenkins-<job>-<build number>.
  { marker: 'JENKINS_URL', run: 'BUILD_TAG', job: 'JOB_NAME' },
  { marker: 'TRAVIS', run: 'TRAVIS_BUILD_ID', job: 'TRAVIS_JOB_NAME' },
];

/**
 * DITTO_RUN_ID and DITTO_JOB_NAME when set, else the variables of the CI service the process runs
 * in (GitHub Actions, GitLab CI, CircleCI, Buildkite, Jenkins, Travis), else nothing.
 */
export function ciRun(env: NodeJS.ProcessEnv): CiRun {
  const service = SERVICES.find((s) => env[s.marker]);
  const pick = (own: string, theirs: string | undefined) => env[own] || (theirs ? env[theirs] : undefined) || undefined;
  return { runId: pick('DITTO_RUN_ID', service?.run), jobName: pick('DITTO_JOB_NAME', service?.job) };
}
