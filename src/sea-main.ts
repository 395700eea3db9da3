import v8 from 'node:v8';
import { runAndExit } from './cli/main.js';
import { warmUp } from './cli/warm-up.js';

/**
 * Entry point of the single executable (scripts/build-binary.mjs). Node runs this file once, at
 * build time, and stores the resulting heap as the executable's start-up snapshot; each start
 * then deserializes that heap and calls the function below, with the everyday commands' modules
 * loaded and compiled already (see warmUp). In the executable process.argv is
 * [executable, executable, ...arguments].
 */
v8.startupSnapshot.setDeserializeMainFunction(() => runAndExit(process.argv.slice(2)));

// Node takes the snapshot once the event loop is empty, after this; a failure fails the build.
warmUp().catch((err: unknown) => {
  process.stderr.write(`warm-up failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
