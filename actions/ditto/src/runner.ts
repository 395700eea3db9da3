import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { EOL } from 'node:os';
import process from 'node:process';

/**
 * GitHub's runner contract, without @actions/core: inputs arrive as INPUT_<NAME> (upper-cased,
 * spaces as underscores), outputs, variables and state go to the files GITHUB_OUTPUT,
 * GITHUB_ENV and GITHUB_STATE as `name<<DELIMITER` blocks, state comes back to the post step as
 * STATE_<name>, and commands (`::add-mask::`, `::error::`) are lines on stdout.
 */

export function input(name: string): string {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

export function state(name: string): string {
  return process.env[`STATE_${name}`] ?? '';
}

/** A workflow command's value: %, CR and LF escaped, as the runner reads it back. */
function escape(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function command(name: string, value: string): void {
  process.stdout.write(`::${name}::${escape(value)}${EOL}`);
}

export function info(line: string): void {
  process.stdout.write(line + EOL);
}

export function warning(message: string): void {
  command('warning', message);
}

export function error(message: string): void {
  command('error', message);
}

/** From now on the runner shows `secret` as *** in the job's log. */
export function mask(secret: string): void {
  if (secret) command('add-mask', secret);
}

const FILES = ['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_STATE'] as const;

/** Fails unless the runner's files are there: checked before anything is made that would need them. */
export function checkRunnerFiles(): void {
  const missing = FILES.filter((name) => !process.env[name]);
  if (missing.length) throw new Error(`${missing.join(', ')} not set: this action runs as a step of a GitHub Actions job`);
}

function append(file: (typeof FILES)[number], name: string, value: string): void {
  const path = process.env[file];
  if (!path) throw new Error(`${file} is not set: this action runs as a step of a GitHub Actions job`);
  const delimiter = `ghadelimiter_${randomUUID()}`;
  fs.appendFileSync(path, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, 'utf8');
}

export function setOutput(name: string, value: string): void {
  append('GITHUB_OUTPUT', name, value);
}

/** A variable for the job's later steps (and this process). */
export function exportVariable(name: string, value: string): void {
  append('GITHUB_ENV', name, value);
  process.env[name] = value;
}

/** A value for this action's post step, which reads it as STATE_<name>. */
export function saveState(name: string, value: string): void {
  append('GITHUB_STATE', name, value);
}
