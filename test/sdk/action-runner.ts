import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { REPO } from '../helpers/ditto.js';
import { childEnv } from './helpers.js';

/**
 * One step of the action (its built dist/main.js or dist/post.js) run the way GitHub's runner
 * runs it: inputs as INPUT_<NAME>, fresh GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STATE files, and for
 * post the main step's state as STATE_<name>; what it wrote to them, read back as the runner does.
 */
export interface StepResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  env: Record<string, string>;
  state: Record<string, string>;
}

export async function runStep(entry: 'main' | 'post', dir: string, inputs: Record<string, string>, env: Record<string, string>, state: Record<string, string> = {}): Promise<StepResult> {
  const step = fs.mkdtempSync(path.join(dir, `${entry}-`));
  const files = { GITHUB_OUTPUT: path.join(step, 'output'), GITHUB_ENV: path.join(step, 'env'), GITHUB_STATE: path.join(step, 'state') };
  for (const file of Object.values(files)) fs.writeFileSync(file, '');
  const vars: Record<string, string> = { ...files, ...env };
  for (const [name, value] of Object.entries(inputs)) vars[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  for (const [name, value] of Object.entries(state)) vars[`STATE_${name}`] = value;
  const result = await execa(process.execPath, [path.join(REPO, `actions/ditto/dist/${entry}.js`)], { cwd: step, env: childEnv(vars), reject: false, stdin: 'ignore' });
  const read = (file: string) => parseFileCommands(fs.readFileSync(file, 'utf8'));
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr, outputs: read(files.GITHUB_OUTPUT), env: read(files.GITHUB_ENV), state: read(files.GITHUB_STATE) };
}

/** A file command file as the runner reads it: `name=value` lines and `name<<DELIMITER` blocks. */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const block = /^([^=<]+)<<(.+)$/.exec(line);
    if (!block) {
      const eq = line.indexOf('=');
      if (eq < 1) throw new Error(`not a file command line: ${line}`);
      values[line.slice(0, eq)] = line.slice(eq + 1);
      continue;
    }
    const end = lines.indexOf(block[2]!, i + 1);
    if (end < 0) throw new Error(`no closing delimiter for ${block[1]}`);
    values[block[1]!] = lines.slice(i + 1, end).join('\n');
    i = end;
  }
  return values;
}

/** The `::name::value` workflow commands on a step's stdout. */
export function workflowCommands(stdout: string, name: string): string[] {
  return stdout.split('\n').flatMap((line) => (line.startsWith(`::${name}::`) ? [line.slice(name.length + 4)] : []));
}
