import { execFileSync } from 'node:child_process';

/** The suite runs the CLI as users do: the bundled dist/ditto.cjs, built once here. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
