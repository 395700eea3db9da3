import { main } from './cli/main.js';

// Exit explicitly: a stray handle (a pooled socket, a timer) must not keep a finished command alive.
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ditto: ${String(err)}\n`);
    process.exit(70);
  },
);
