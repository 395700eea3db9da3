import { DittoError } from '../errors.js';
import { visibleOwner, type Caller } from '../model/caller.js';
import type { Copy } from '../model/copy.js';
import type { CopiesRepo } from '../state/copies-repo.js';

/**
 * A copy by id or unambiguous id prefix, as `caller` sees them; another caller's copy is refused.
 * Works on any repo: the state, or a host's in-memory mirror of it.
 */
export function lookupCopy(repo: CopiesRepo, idOrPrefix: string, caller: Caller | null | undefined): Copy {
  const owner = visibleOwner(caller);
  let copy = repo.get(idOrPrefix);
  if (!copy) {
    const matches = idOrPrefix.length >= 4 ? repo.list({ includeFinal: true, owner }).filter((c) => c.id.startsWith(idOrPrefix)) : [];
    if (matches.length > 1) throw new DittoError('BAD_INPUT', `copy id '${idOrPrefix}' is ambiguous (${matches.length} copies start with it)`, { hint: 'give more characters of the id' });
    copy = matches[0];
  }
  if (!copy) throw new DittoError('NOT_FOUND', `no copy with id '${idOrPrefix}'`, { hint: 'run `ditto ls --all` to see copies' });
  if (owner !== null && copy.owner !== owner) {
    throw new DittoError('FORBIDDEN', `copy ${copy.id} belongs to another caller`, { hint: 'use the token that made it' });
  }
  return copy;
}
