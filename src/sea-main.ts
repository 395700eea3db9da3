import { embeddedModule } from './runtime-env/embedded-modules.js';

/**
 * The single executable's main script (scripts/build-binary.mjs): small, so that Node compiles it
 * at once; it runs the CLI, which the executable carries as an asset with a code cache made after
 * the everyday commands ran once (src/sea-cli.ts). In the executable process.argv is
 * [executable, executable, ...arguments].
 */
const cli = embeddedModule('cli') as typeof import('./sea-cli.js');
cli.runAndExit(process.argv.slice(2));
