import { execFileSync } from 'node:child_process';

/**
 * The suite runs the CLI as users do: the bundled dist/ditto.cjs, built once here; and the JS SDK
 * as its users import it (sdk/js/dist, for Deno and a sample vitest project).
 */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'sdk/js'], { stdio: 'inherit' });
}
