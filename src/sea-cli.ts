/**
 * The CLI as the single executable carries it (src/sea-main.ts runs it). warmUp() is what the
 * build runs before it takes the code cache, so the everyday commands' functions are in it.
 */
export { runAndExit } from './cli/main.js';
export { warmUp } from './cli/warm-up.js';
