import { describe, expect, it } from 'vitest';
import { ciRun } from '../../src/support/ci-run.js';

describe('ciRun: the CI run and job a copy is made for', () => {
  it.each([
    ['GitHub Actions', { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '123', GITHUB_JOB: 'test' }, '123', 'test'],
    ['GitLab CI', { GITLAB_CI: 'true', CI_PIPELINE_ID: '456', CI_JOB_NAME: 'rspec 1/2' }, '456', 'rspec 1/2'],
    ['CircleCI', { CIRCLECI: 'true', CIRCLE_WORKFLOW_ID: 'wf-1', CIRCLE_JOB: 'build' }, 'wf-1', 'build'],
    ['Buildkite', { BUILDKITE: 'true', BUILDKITE_BUILD_ID: 'bk-9', BUILDKITE_LABEL: ':test: unit' }, 'bk-9', ':test: unit'],
    ['Jenkins', { JENKINS_URL: 'https://ci/', BUILD_TAG: 'jenkins-app-42', JOB_NAME: 'app' }, 'jenkins-app-42', 'app'],
    ['Travis', { TRAVIS: 'true', TRAVIS_BUILD_ID: '77', TRAVIS_JOB_NAME: 'lint' }, '77', 'lint'],
  ])('%s', (_name, env, runId, jobName) => {
    expect(ciRun(env)).toEqual({ runId, jobName });
  });

  it('DITTO_RUN_ID and DITTO_JOB_NAME win over the CI’s own', () => {
    expect(ciRun({ GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '123', GITHUB_JOB: 'test', DITTO_RUN_ID: 'mine', DITTO_JOB_NAME: 'shard-2' })).toEqual({ runId: 'mine', jobName: 'shard-2' });
    expect(ciRun({ DITTO_RUN_ID: 'local-run' })).toEqual({ runId: 'local-run', jobName: undefined });
  });

  it('outside CI, and with a service’s variables but not its marker, nothing', () => {
    expect(ciRun({})).toEqual({ runId: undefined, jobName: undefined });
    expect(ciRun({ GITHUB_RUN_ID: '123', CI_JOB_NAME: 'x' })).toEqual({ runId: undefined, jobName: undefined });
  });
});
