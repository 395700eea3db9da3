import { DittoError } from '../../../sdk/js/src/index.js';
import { info, state } from './runner.js';
import { COPY_STATE, NAMED_STATE, clientFromInputs, step } from './settings.js';

/** The action's post step (post-if: always()): destroys the copy main made, whether the job passed or failed. */
await step('down', async () => {
  const named = state(NAMED_STATE);
  if (named) return info(`ditto: copy ${named.split(' ')[0]} named ${named.split(' ')[1]} is kept for the next run`);
  const id = state(COPY_STATE);
  if (!id) return info('ditto: no copy to destroy (the main step made none)');
  try {
    await clientFromInputs().down(id);
    info(`ditto: destroyed copy ${id}`);
  } catch (err) {
    if (!(err instanceof DittoError && err.code === 'NOT_FOUND')) throw err;
    info(`ditto: copy ${id} is already gone`);
  }
});
