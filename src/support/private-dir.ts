import fs from 'node:fs';

/** Makes `dir` (and parents) exist with mode 0700: state, dumps and logs are the user's alone. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = fs.statSync(dir).mode & 0o777;
  if (mode !== 0o700) fs.chmodSync(dir, 0o700);
}
