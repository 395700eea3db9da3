import { DittoError } from '../errors.js';

/**
 * A copy's name (`up --name`): what a CI job or a script calls its copy to get the same one back.
 * Letters, digits, `.`, `_`, `-`, starting with a letter or digit, at most 63 characters: fit for
 * a branch or pull request (`pr-123`, `feature.x`), for a URL query and a terminal alike.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** `name` if it is a valid copy name; else one BAD_INPUT line saying what a name may hold. */
export function checkCopyName(name: string): string {
  if (!NAME.test(name)) {
    throw new DittoError('BAD_INPUT', `name '${name.replace(/[^\x20-\x7e]/g, '?').slice(0, 80)}' is not a copy name`, {
      hint: 'a name is 1-63 letters, digits, dots, underscores and dashes, starting with a letter or digit (e.g. pr-123)',
    });
  }
  return name;
}
