import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHome, expectOneLineError } from '../helpers/ditto.js';

/** Moving from the established ditto: its commands and durations work, and stay out of --help. */
let home: TestHome;

beforeAll(() => {
  home = new TestHome({}, { portCount: 4 });
});

afterAll(async () => home.cleanup());

describe("the established ditto's commands", () => {
  it('copy create|list|logs|delete and env export|destroy work; --help shows none of them', async () => {
    const made = await home.run(['copy', 'create', '--ttl', '1h30m', '--json']);
    expect(made.exitCode, made.stderr).toBe(0);
    const copy = JSON.parse(made.stdout) as { id: string; ttl_seconds: number };
    expect(copy.ttl_seconds).toBe(5400);
    expect((await home.run(['copy', 'list'])).stdout).toContain(copy.id);
    expect((await home.run(['copy', 'logs', copy.id])).stdout).toMatch(/created/);
    expect((await home.run(['copy', 'delete', copy.id])).stdout.trim()).toBe(`destroyed ${copy.id}`);

    const exported = await home.run(['env', 'export']);
    const id = /DITTO_COPY_ID='?(\w+)'?/.exec(exported.stdout)![1]!;
    expect((await home.run(['env', 'destroy'], { env: { DITTO_COPY_ID: id } })).stdout.trim()).toBe(`destroyed ${id}`);
    expectOneLineError(await home.run(['env', 'destroy'], { env: { DITTO_COPY_ID: '' } }), 2, /DITTO_COPY_ID is not set/);

    const help = (await home.run(['--help'])).stdout;
    expect(help).not.toMatch(/^\s+ditto copy/m);
    expect(help).not.toMatch(/env export|env destroy/);
  });
});
