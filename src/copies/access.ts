import { DittoError } from '../errors.js';
import { visibleOwner, type Caller } from '../model/caller.js';
import type { Copy } from '../model/copy.js';
import { findByIdOrPrefix } from '../model/copy-id.js';
import type { CopiesRepo } from '../state/copies-repo.js';

/**
 * A copy by id or unambiguous id prefix, as `caller` sees them; another caller's copy is refused.
 * Works on any repo: the state, or a host's in-memory mirror of it.
 */
export function lookupCopy(repo: CopiesRepo, idOrPrefix: string, caller: Caller | null | undefined): Copy {
  const owner = visibleOwner(caller);
  // The exact id is one indexed read; only a prefix needs the caller's whole list.
  const copy = repo.get(idOrPrefix) ?? findByIdOrPrefix(repo.list({ includeFinal: true, owner }), idOrPrefix);
  if (owner !== null && copy.owner !== owner) {
    throw new DittoError('FORBIDDEN', `copy ${copy.id} belongs to another caller`, { hint: 'use the token that made it' });
  }
  return copy;
}
