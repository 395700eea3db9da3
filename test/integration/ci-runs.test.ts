import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError, type CopyJson } from '../helpers/ditto.js';
import { HostProcess } from '../helpers/host-process.js';
import { leftovers } from '../helpers/leaks.js';

/** What CI jobs rely on: copies tagged with their run, a run's copies ended at once, a failed job's copy kept to look at. */
const GITHUB = { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '9001', GITHUB_JOB: 'integration' };
const GITLAB = { GITLAB_CI: 'true', CI_PIPELINE_ID: '4242', CI_JOB_NAME: 'rspec 1/2' };
const TOKEN = 'ci-runs-token-0123456789';

let home: TestHome;

beforeAll(() => {
  home = new TestHome({}, { portCount: 8 });
});

afterAll(async () => {
  await home.cleanup();
});

function runOf(copies: CopyJson[], id: string) {
  const copy = copies.find((c) => c.id === id)!;
  return { run_id: copy.run_id, job_name: copy.job_name };
}

describe('run tagging', () => {
  it('up, env and run record the CI run and job; ls shows them; down --run-id ends exactly that run’s copies', async () => {
    const github = await home.run(['up', '--json'], { env: GITHUB });
    const githubId = (JSON.parse(github.stdout) as { id: string }).id;
    const gitlab = await home.run(['env'], { env: GITLAB });
    const gitlabId = /DITTO_COPY_ID='?(\w+)'?/.exec(gitlab.stdout)![1]!;
    const plain = (await home.upJson()).id;
    const seen = await home.run(['run', '--', 'sh', '-c', 'echo "$DITTO_COPY_ID"'], { env: { ...GITHUB, DITTO_JOB_NAME: 'shard-2' } });
    const ranId = seen.stdout.trim();

    const listed = await home.ls();
    expect(runOf(listed, githubId)).toEqual({ run_id: '9001', job_name: 'integration' });
    expect(runOf(listed, gitlabId)).toEqual({ run_id: '4242', job_name: 'rspec 1/2' });
    expect(runOf(listed, plain)).toEqual({ run_id: null, job_name: null });
    expect(runOf(await home.ls(true), ranId)).toEqual({ run_id: '9001', job_name: 'shard-2' });
    const table = (await home.run(['ls'])).stdout;
    expect(table).toMatch(/^ID\s+STATUS\s+AGE\s+TTL LEFT\s+PORT\s+SIZE\s+RUNTIME\s+LABEL\s+RUN\s+JOB\s+ERROR$/m);
    expect(table).toMatch(new RegExp(`^${gitlabId}\\s.*\\s4242\\s+rspec 1/2\\s*$`, 'm'));

    const down = await home.run(['down', '--run-id', '9001']);
    expect(down.stdout.trim().split('\n')).toEqual([`destroyed ${githubId}`]);
    expect((await home.ls()).map((c) => c.id).sort()).toEqual([gitlabId, plain].sort());
    expect((await home.run(['down', '--run-id', 'no-such-run'])).stderr).toMatch(/no copies to destroy/);
    expectOneLineError(await home.run(['down', '--run-id', '4242', '--all']), 2, /say which copies to destroy/);
    await home.run(['down', gitlabId, plain]);
  });

  it('through a host: the API shows the run, and down --run-id ends only the caller’s copies of it', async () => {
    home.writeConfig({ host: { tokens: [{ name: 'ci', token: TOKEN }] } });
    const host = await HostProcess.start(home);
    try {
      const env = { DITTO_SERVER: host.url, DITTO_TOKEN: TOKEN, ...GITLAB };
      const made = await home.run(['up', '--json'], { env });
      expect(made.exitCode, made.stderr).toBe(0);
      const id = (JSON.parse(made.stdout) as { id: string }).id;
      const listed = await host.api('GET', '/v2/copies', { token: TOKEN });
      expect(listed.json).toEqual([expect.objectContaining({ id, run_id: '4242', job_name: 'rspec 1/2' })]);
      const down = await home.run(['down', '--run-id', '4242'], { env });
      expect(down.stdout.trim()).toBe(`destroyed ${id}`);
      expect((await host.api('GET', '/v2/copies', { token: TOKEN })).json).toEqual([]);
    } finally {
      await host.stop();
    }
  });
});

describe('ditto run --keep-on-failure', () => {
  it('a failing command leaves its copy, listed, with its DSN and id on stderr; the exit code passes through', async () => {
    const result = await home.run(['run', '--keep-on-failure', '--', 'sh', '-c', 'echo "$DITTO_COPY_ID"; exit 3']);
    expect(result.exitCode).toBe(3);
    const id = result.stdout.trim();
    expect(result.stderr).toMatch(new RegExp(`the command failed \\(exit 3\\); copy ${id} is kept for (59m\\d+s|1h)`));
    const dsn = /DATABASE_URL=(\S+)/.exec(result.stderr)![1]!;
    expect(dsn).toMatch(/^postgresql:\/\/postgres:/);
    expect((await home.ls()).map((c) => c.id)).toContain(id);
    await home.run(['down', id]);
  });

  it('a command that succeeds, or any failure without the flag, destroys the copy', async () => {
    const ok = await home.run(['run', '--keep-on-failure', '--', 'sh', '-c', 'echo "$DITTO_COPY_ID"']);
    const failed = await home.run(['run', '--', 'sh', '-c', 'echo "$DITTO_COPY_ID"; exit 4']);
    expect([ok.exitCode, failed.exitCode]).toEqual([0, 4]);
    expect(failed.stderr).not.toMatch(/kept/);
    const all = await home.ls(true);
    for (const id of [ok.stdout.trim(), failed.stdout.trim()]) expect(all.find((c) => c.id === id)?.status).toBe('destroyed');
    expect(await leftovers(home)).toEqual([]);
  });
});

describe('ditto env -- CMD', () => {
  it('is refused in one line pointing to ditto run, and makes nothing', async () => {
    const before = (await home.ls(true)).length;
    expectOneLineError(await home.run(['env', '--', 'npm', 'test', 'a b']), 2, /ditto env runs no command \(it prints exports\); nothing was made; use ditto run -- npm test 'a b'/);
    expect(await home.ls(true)).toHaveLength(before);
  });
});
