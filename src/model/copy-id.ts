import { DittoError } from '../errors.js';

/** The shortest prefix of a copy id that is looked up as one. */
const MIN_PREFIX = 4;

/**
 * The copy `idOrPrefix` names among `candidates`: the one with that id, else the only one whose id
 * starts with it (at least four characters). Ambiguous and unknown ids are the one error each,
 * wherever the candidates come from (the state, a host's mirror, a host's list).
 */
export function findByIdOrPrefix<T extends { id: string }>(candidates: readonly T[], idOrPrefix: string): T {
  const exact = candidates.find((c) => c.id === idOrPrefix);
  if (exact) return exact;
  const matches = idOrPrefix.length >= MIN_PREFIX ? candidates.filter((c) => c.id.startsWith(idOrPrefix)) : [];
  if (matches.length > 1) throw new DittoError('BAD_INPUT', `copy id '${idOrPrefix}' is ambiguous (${matches.length} copies start with it)`, { hint: 'give more characters of the id' });
  if (matches.length === 0) throw new DittoError('NOT_FOUND', `no copy with id '${idOrPrefix}'`, { hint: 'run `ditto ls --all` to see copies' });
  return matches[0]!;
}
